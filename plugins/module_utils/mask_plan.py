# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Plan masking: from the units' state and the request to the actions to take.

Pure functions only: no systemctl, no file system. The same plan drives check mode
(report it), the real run (apply it) and verification (compare against it).
Every change is first tried on the unit tree as read (unit_lookup), so a mask
that systemd would not honour, or an unmask that would leave the unit masked,
is refused before anything is changed.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import MASK_TARGET, Entry
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import (
    InvalidUnitName,
    UnitName,
    is_instance,
    parse_unit_name,
    template_of,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import is_mask

ON_LINK = ("refuse", "follow", "replace")
"""What to do with a name that is a link to another unit in the persistent or
runtime directory: refuse it, follow the link to the unit it names, or replace
the link with the mask."""

MaskRequest = namedtuple("MaskRequest", ["state", "runtime", "now", "triggers", "on_link"])
"""What the user asked for some units: state ``masked`` or ``unmasked``,
runtime, now, triggers and on_link (one of ON_LINK). One run may carry several
requests, each for its own units."""
MaskRequest.__new__.__defaults__ = (False, False, False, "refuse")

UnitChoice = namedtuple("UnitChoice", ["asked", "unit", "request", "link", "link_action", "trigger_of"])
"""Which unit a requested name is acted on as, and what is asked of it.

``asked`` is the UnitName requested; ``unit`` the unit acted on; ``request``
the MaskRequest for it; ``link`` the alias or linked-unit link found at the
name (an Entry) or None; ``link_action`` ``follow`` or ``replace`` where the
link decided ``unit``, else None; ``trigger_of`` the requested units a trigger
can start, for units that came in through ``triggers``.
"""
UnitChoice.__new__.__defaults__ = (None, None, ())

UnitRecord = namedtuple("UnitRecord", ["choice", "before", "expected", "after"])
"""One unit of a run: what was asked (a UnitChoice), its state before, the state
the plan expects, and the state read after (the expected one in check mode)."""
UnitRecord.__new__.__defaults__ = (None,)

# Units systemd always has loaded and running: the root mount, the root slice and
# its own scope. A mask link at their name would never take effect.
PERPETUAL_UNITS = ("-.mount", "-.slice", "init.scope")

# Entries at a unit's name that are links to something other than /dev/null.
_LINK_KINDS = ("alias", "linked", "dangling")

_ACTIONS = ("unmask_runtime", "unmask_persistent", "mask_persistent", "mask_persistent_force",
            "mask_runtime", "mask_runtime_force", "stop")


class MaskPlan(namedtuple("MaskPlan", _ACTIONS + ("records",))):
    """Units for each kind of action, in request order, and one record per unit.

    ``*_force`` masks replace a link at the name (``on_link: replace``).
    """

    __slots__ = ()

    @property
    def has_changes(self):
        return any(getattr(self, action) for action in _ACTIONS)


class PlanError(ValueError):
    """The request cannot be carried out; ``problems`` maps unit -> reason."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("; ".join("%s: %s" % item for item in problems.items()))


def check_request(request, unit_names, scope):
    """Refuse option combinations that cannot apply, before reading anything."""
    problems = {}
    if request.now and request.state != "masked":
        problems["now"] = "now=true stops units, which only applies with state=masked"
    elif request.now and not scope.manager:
        problems["now"] = "now=true stops units, which needs a running manager; %s" % _no_manager(scope)
    if request.triggers and not scope.manager:
        problems["triggers"] = ("triggers=true reads which units can start the named ones from "
                                "a running manager; %s" % _no_manager(scope))
    if request.runtime and request.state == "masked" and not scope.runtime_lasts:
        problems["runtime"] = (
            "runtime=true masks in %s, which nothing reads here: %s; a runtime mask would "
            "have no effect, so mask persistently (runtime=false) instead"
            % (scope.runtime_dir, _no_manager(scope)))
    if request.state == "masked":
        for unit_name in unit_names:
            if unit_name.unit in PERPETUAL_UNITS:
                problems[unit_name.unit] = (
                    "systemd keeps this unit loaded whatever its unit files say (a perpetual "
                    "unit), so no mask can take effect")
    if request.now:
        for unit_name in unit_names:
            if unit_name.kind == "template":
                problems[unit_name.unit] = (
                    "a template never runs itself, so now=true cannot stop it; "
                    "name its instances (for example %s) to stop them"
                    % unit_name.unit.replace("@.", "@INSTANCE.")
                )
    if problems:
        raise PlanError(problems)


def _no_manager(scope):
    if scope.root:
        return "root=%s is an OS tree that is not running" % scope.root
    if scope.name == "global":
        return "scope=global is unit files for all users, with no manager of its own"
    return "systemd is not the running service manager on this host"


def choose_units(request, unit_names, tree, scope):
    """The UnitChoice for each requested name: which unit is acted on.

    A name whose entry in the persistent or runtime directory is a link to
    another unit (an alias made by enabling a unit, or a linked unit file) is
    decided by ``request.on_link``. Raises PlanError for every name refused.
    """
    choices = []
    problems = {}
    written = scope.runtime_dir if request.runtime else scope.persistent_dir
    for unit_name in unit_names:
        unit = unit_name.unit
        link = _link_at(tree, scope, unit)
        if link is None:
            choices.append(UnitChoice(unit_name, unit, request))
        elif request.state == "unmasked" and request.on_link != "follow":
            # Unmasking acts on the name's own masks; the link is left alone.
            choices.append(UnitChoice(unit_name, unit, request, link, None))
        elif request.on_link == "replace":
            if request.now and link.kind == "alias":
                problems[unit] = (
                    "now=true with on_link=replace would mask the name but leave %s, the unit "
                    "%s links to, running; stop that unit by its own name, or use on_link=follow"
                    % (tree.lookup(unit).unit, link.path))
                continue
            # A link in /run is not in the way of a mask in /etc, which outranks it.
            action = "replace" if link.directory == written else "override"
            choices.append(UnitChoice(unit_name, unit, request, link, action))
        elif request.on_link == "refuse":
            problems[unit] = _link_refusal(unit, link, tree)
        else:
            target, problem = _follow_link(unit, link, tree, scope)
            if problem:
                problems[unit] = problem
            else:
                choices.append(UnitChoice(unit_name, target, request, link, "follow"))
    if problems:
        raise PlanError(problems)
    return choices


def _link_at(tree, scope, unit):
    """The alias or linked-unit link at ``unit`` in the persistent or runtime directory."""
    for directory in (scope.persistent_dir, scope.runtime_dir):
        entry = tree.entry(directory, unit)
        if entry is not None:
            return entry if entry.kind in _LINK_KINDS else None
    return None


def _link_refusal(unit, link, tree):
    if link.kind == "dangling":
        return (
            "%s is a link to %s, which does not exist: systemd cannot load %s by this name, "
            "and a mask must replace the link; set on_link=replace to do that, or remove the "
            "link first" % (link.path, link.target, unit))
    if link.kind == "linked":
        return (
            "%s is a link to %s, a linked unit file (made by 'systemctl link'): the unit %s is "
            "loaded from that file, so a mask must replace the link; set on_link=replace to "
            "do that, or remove the link first ('systemctl disable %s')"
            % (link.path, link.target, unit, unit))
    if _is_instance_link(unit, link):
        return _instance_link(unit, link)
    target = _linked_unit(unit, link, tree)
    return (
        "%s is a link to %s, so the name is an alias of %s, not a mask; masking the name "
        "would not stop %s. Set on_link=follow to mask %s, the unit it names, or "
        "on_link=replace to replace the link with a mask of %s alone (as "
        "'systemctl mask --force' does)" % (link.path, link.link, target, target, target, unit))


def _is_instance_link(unit, link):
    """Whether ``link`` makes the instance ``unit`` load from a template's file."""
    return is_instance(unit) and "@." in link.target


def _linked_unit(unit, link, tree):
    """The unit systemd loads an alias as: where its chain of aliases ends, or,
    where that unit is not installed, the name the link gives."""
    found = tree.lookup(unit)
    return found.unit if found.fragment is not None else link.target


def _instance_link(unit, link):
    return (
        "%s is a link to %s: the instance %s is loaded from its template's file, so there is "
        "no other unit to follow to; set on_link=replace to replace the link with a mask of "
        "%s alone, or mask %s by its own name to mask every instance"
        % (link.path, link.link, unit, unit, link.target))


def _follow_link(unit, link, tree, scope):
    """The unit systemd loads a linked name as, checked; (unit, None) or (None, problem)."""
    if link.kind in ("linked", "dangling"):
        return None, (
            "%s is a linked unit file (a link to %s): it is the unit %s itself, so there is "
            "no other unit to follow to; set on_link=replace to replace the link with a mask"
            % (link.path, link.target, unit))
    if _is_instance_link(unit, link):
        return None, _instance_link(unit, link)
    target = _linked_unit(unit, link, tree)
    try:
        parse_unit_name(target)
    except InvalidUnitName as exc:
        return None, "%s links to %s, which is not a unit name that can be masked (%s)" % (
            link.path, target, exc.reason)
    if _link_at(tree, scope, target) is not None:
        return None, "%s links to %s, which is itself a link; mask the unit it ends at by its own name" % (
            link.path, target)
    return target, None


def plan_masking(choices, states, tree, scope, protect=()):
    """Return the MaskPlan that takes each unit to what its choice requests.

    ``choices`` and ``states`` are aligned: the UnitChoice and UnitState of each
    unit. ``tree`` is the UnitTree read before; ``scope`` gives the directories;
    ``protect`` the units never to mask.

    Each unit's actions are planned first; then all of them are tried together
    on the tree, so that a unit is judged by what systemd will make of the
    whole run (a template unmasked next to its instance, an alias next to
    its unit).

    Raises PlanError naming every unit that cannot be brought there and why,
    before anything is changed.
    """
    actions = dict((action, []) for action in _ACTIONS)
    problems = {}
    planned = {}  # unit -> (choice, state, its actions), in request order
    for choice, state in zip(choices, states):
        if state.unit in problems:
            continue
        if state.unit in planned:
            # Named twice (an alias and its unit, or in two items): one plan, one request.
            first = planned[state.unit][0]
            if requests_differ(first.request, choice.request):
                problems[state.unit] = _asked_twice(first, choice)
                del planned[state.unit]
            continue
        if choice.request.state == "masked":
            unit_actions, problem = _plan_mask(choice, state, scope)
        else:
            unit_actions, problem = _plan_unmask(choice.request, state, scope)
        if problem:
            problems[state.unit] = problem
        else:
            planned[state.unit] = (choice, state, unit_actions)

    after = _tree_after(tree, [(state, unit_actions) for _c, state, unit_actions in planned.values()], scope)
    expected = {}
    for unit, (choice, state, unit_actions) in planned.items():
        predicted = after.lookup(unit)
        problem = _prediction_problem(choice.request, state, unit_actions, predicted, tree, scope)
        if problem:
            problems[unit] = problem
            continue
        for action in unit_actions:
            actions[action].append(unit)
        expected[unit] = _expected_state(state, unit_actions, predicted, scope)
    problems.update(protected_problems(protect, [c for c in choices if c.request.state == "masked"], tree))
    if problems:
        raise PlanError(problems)
    records = [UnitRecord(choice, state, expected[state.unit]) for choice, state in zip(choices, states)]
    return MaskPlan(records=records, **actions)


def requests_differ(first, second):
    """Whether two requests for one unit ask different things of it."""
    if first.state != second.state:
        return True
    if first.state == "masked":
        return (first.runtime, first.now) != (second.runtime, second.now)
    return first.runtime != second.runtime


def _asked_twice(first, second):
    def words(choice):
        request = choice.request
        said = request.state + (" at runtime" if request.runtime else "") + (" and stopped" if request.now else "")
        how = "as %s" % choice.asked.asked if choice.asked.unit == choice.unit else (
            "through %s" % choice.asked.asked)
        if choice.trigger_of:
            how = "as a trigger of %s" % ", ".join(choice.trigger_of)
        return "%s (%s)" % (said, how)
    return ("asked twice with different options: %s, and %s; name it once, with the "
            "options it should get" % (words(first), words(second)))


def _plan_mask(choice, state, scope):
    request = choice.request
    directory = scope.runtime_dir if request.runtime else scope.persistent_dir
    actions = []
    if request.runtime and (is_mask(state.persistent) or is_mask(state.runtime)) \
            or not request.runtime and is_mask(state.persistent):
        pass  # already masked as asked; a persistent mask covers a runtime one
    else:
        if request.runtime and state.persistent is not None:
            return [], _blocked(state.persistent) + (
                "; a runtime mask cannot override it either, because %s outranks %s"
                % (scope.persistent_dir, scope.runtime_dir))
        entry = state.runtime if request.runtime else state.persistent
        force = False
        if entry is not None:
            if choice.link_action != "replace" or entry.kind not in _LINK_KINDS:
                return [], _blocked(entry) + (
                    "" if request.runtime else
                    "; and a runtime mask would not override it either, because %s outranks %s"
                    % (scope.persistent_dir, scope.runtime_dir))
            force = True
        fragment = state.lookup.fragment
        if fragment is not None and fragment.directory in scope.outranking(directory):
            return [], (
                "systemd loads it from %s, which outranks %s, so no mask there can take "
                "effect (a transient, generated or control unit)" % (fragment.path, directory))
        action = "mask_runtime" if request.runtime else "mask_persistent"
        actions.append(action + "_force" if force else action)
    if request.now and state.is_running:
        actions.append("stop")
    return actions, None


def _plan_unmask(request, state, scope):
    actions = []
    for layer, entry, action in (("runtime", state.runtime, "unmask_runtime"),
                                 ("persistent", state.persistent, "unmask_persistent")):
        if layer == "persistent" and request.runtime or not is_mask(entry):
            continue
        if entry.target != MASK_TARGET:
            return [], (
                "%s is %s, which systemd treats as a mask; only links to /dev/null are "
                "removed by this module, so remove it by hand if it should go"
                % (entry.path, "an empty file" if entry.link is None else "a link to an empty file (%s)" % entry.link))
        if scope.root and entry.link != MASK_TARGET:
            # systemctl --root removes only links that read /dev/null as written.
            return [], (
                "%s is a link to %s, which leads to /dev/null in the tree, but 'systemctl "
                "--root' leaves such a link in place; remove it by hand if it should go"
                % (entry.path, entry.link))
        actions.append(action)
    return actions, None


def _tree_after(tree, planned, scope):
    """The unit tree as it will be once every unit's actions are applied."""
    for state, unit_actions in planned:
        for action in unit_actions:
            if action.startswith("mask_"):
                tree = tree.with_entry(_mask_entry(state.unit, _written_dir(action, scope), scope))
            elif action.startswith("unmask_"):
                entry = state.runtime if action == "unmask_runtime" else state.persistent
                tree = tree.without_entry(entry.directory, entry.name)
    return tree


def _written_dir(action, scope):
    return scope.runtime_dir if action.startswith("mask_runtime") else scope.persistent_dir


def _prediction_problem(request, state, unit_actions, predicted, tree, scope):
    """Why systemd would not do what the request asks of this unit, or None.

    ``tree`` is the tree as read, before the plan: a mask that is not in it is
    one another item of the same call would make.
    """
    if request.state == "masked":
        if not predicted.masked:
            return (
                "a mask at its name would not take effect: systemd would still load it from %s"
                % (predicted.fragment.path if predicted.fragment else "nowhere"))
        if not any(a.startswith("mask_") for a in unit_actions) and state.load_state != "masked":
            return (
                "its mask is on disk (%s), but the manager's load state is %s: it has not "
                "been reloaded since the mask was made ('systemctl daemon-reload')"
                % (predicted.fragment.path, state.load_state))
        return None
    if not predicted.masked:
        if not unit_actions and not state.lookup.masked and state.load_state == "masked":
            return (
                "it has no mask on disk any more, but the manager still loads it as masked: "
                "it has not been reloaded since the mask was removed ('systemctl daemon-reload')")
        return None
    if request.runtime:
        return None  # only its runtime masks were asked gone; other masks may stay
    fragment = predicted.fragment
    if tree.entry(fragment.directory, fragment.name) != fragment:
        return (
            "it would be masked by %s, which another item of this call asks for; ask "
            "one thing of the unit and of %s" % (fragment.path, fragment.name))
    return (
        "it would stay masked by %s (%s layer), which is left alone: only links to "
        "/dev/null at the unit's own name in %s or %s are removed%s"
        % (predicted.fragment.path, predicted.fragment.layer, scope.persistent_dir, scope.runtime_dir,
           " (a template's mask goes by unmasking the template)"
           if predicted.fragment.name != state.unit and "@." in predicted.fragment.name else ""))


def protected_problems(protect, choices, tree):
    """{unit: reason} for each choice that would mask a protected unit.

    A name is protected when it, the unit it is acted on as, any alias of that
    unit, or the template of any of these is in ``protect``: masking an alias
    or an instance is no way around the list.
    """
    protect = set(protect or ())
    if not protect:
        return {}
    aliases = _alias_names(tree)
    problems = {}
    for choice in choices:
        names = {choice.asked.unit, choice.unit, tree.lookup(choice.asked.unit).unit}
        for name in list(names):
            names.update(aliases.get(name, ()))
        names.update(template_of(name) for name in list(names) if is_instance(name))
        if choice.unit.split("@", 1)[-1].startswith("."):
            # Masking a template masks every instance of it.
            names.update(p for p in protect if is_instance(p) and template_of(p) == choice.unit)
        hit = sorted(names & protect)
        if hit:
            how = "" if hit == [choice.unit] else " (through %s)" % ", ".join(hit)
            problems[choice.unit] = (
                "protected%s: masking it can cut off access to the host or keep it from "
                "booting; remove it from the request, or from protect to mask it anyway"
                % how)
            if choice.trigger_of:
                problems[choice.unit] += "; it came in as a trigger of %s" % ", ".join(choice.trigger_of)
    return problems


def _alias_names(tree):
    """{unit: names that resolve to it}, for every name in the tree."""
    names = {}
    for name in tree.names():
        names.setdefault(tree.lookup(name).unit, set()).add(name)
    return names


def _blocked(entry):
    """Why ``entry`` keeps systemctl from writing a mask at its path."""
    what = {
        "file": "a unit file",
        "alias": "a link to %s (an alias)" % entry.link,
        "linked": "a link to %s (a linked unit file)" % entry.link,
        "dangling": "a link to %s, which does not exist" % entry.link,
        "ignored": "a link to %s, which systemd skips (no alias it can use)" % entry.link,
    }.get(entry.kind, "neither a unit file nor a link")
    if entry.kind in _LINK_KINDS:
        return ("%s already exists and is %s, not a mask; systemctl will not replace it "
                "unless on_link=replace" % (entry.path, what))
    return (
        "%s already exists and is %s, not a mask; systemctl will not replace it, "
        "and this module never removes it" % (entry.path, what)
    )


def _mask_entry(unit, directory, scope):
    layer = "runtime" if directory == scope.runtime_dir else "persistent"
    return Entry(unit, directory, layer, "mask", MASK_TARGET, MASK_TARGET, None)


def _expected_state(state, actions, predicted, scope):
    """The state the unit should be in once the plan is applied.

    ``predicted`` is systemd's lookup of the unit on the tree after the whole
    plan, which can change a unit with no action of its own (an instance
    whose template is unmasked).
    """
    persistent, runtime = state.persistent, state.runtime
    for action in actions:
        if action.startswith("mask_"):
            entry = _mask_entry(state.unit, _written_dir(action, scope), scope)
            if entry.layer == "runtime":
                runtime = entry
            else:
                persistent = entry
        elif action == "unmask_runtime":
            runtime = None
        elif action == "unmask_persistent":
            persistent = None
    expected = state._replace(persistent=persistent, runtime=runtime, lookup=predicted)
    if "stop" in actions:
        expected = expected._replace(active_state="inactive")
    if predicted.masked == state.lookup.masked and expected.mask == state.mask:
        return expected
    if predicted.masked:
        return expected._replace(load_state="masked")
    # Unmasked: what systemd loads instead is only known once it has reloaded.
    return expected._replace(load_state=None)


def trigger_choice(trigger, units, request):
    """The UnitChoice of a unit that came in because it can start ``units``,
    which are asked ``request``."""
    return UnitChoice(UnitName(trigger, trigger, "plain"), trigger, request, None, None, tuple(units))
