# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Mask and unmask units: read -> plan -> apply -> verify -> report.

Each step is one function, found by its name: the read step lives in
unit_read (on top of systemd's lookup in unit_lookup), the plan in mask_plan,
apply, verify and report below. Reads and actions are batched: one read of the
unit directories and one question to the manager for all units (one more for
their triggers, when asked), then one systemctl call per kind of action, then
one read of the units that changed.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.sysguard.systemd.plugins.module_utils import dependents as dependents_guard
from ansible_collections.sysguard.systemd.plugins.module_utils import name_check
from ansible_collections.sysguard.systemd.plugins.module_utils.errors import ModuleFailure
from ansible_collections.sysguard.systemd.plugins.module_utils.mask_plan import (
    MaskRequest,
    PlanError,
    UnitChoice,
    check_request,
    choose_units,
    plan_masking,
    requests_differ,
    trigger_choice,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.systemctl import SystemctlError
from ansible_collections.sysguard.systemd.plugins.module_utils.trigger_units import triggered_unit
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import MASK_TARGET
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import (
    InvalidUnitName,
    InvalidUnitNames,
    is_instance,
    parse_unit_name,
    parse_unit_names,
    template_of,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_read import ReadError, read_tree, read_units, reread_tree
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import is_mask

# The unit types that can start another unit.
TRIGGER_TYPES = ("socket", "path", "timer")

RequestItem = namedtuple("RequestItem", ["label", "names", "request"])
"""Units asked one thing: ``names`` as the user wrote them, the MaskRequest,
and ``label``, how errors point at the item (``units[2]``), or None where the
whole run is one item."""


def run_masking(systemctl, items, scope, protect=(), check_mode=False, diff=False,
                unknown_names="ignore", index_loader=None, dependents="ignore", exclusive=False, keep=()):
    """Bring the units of each RequestItem to its request, in ``scope``, in one run.

    One read, one plan, one apply (one call per kind of action for all
    items), one verify and one report for everything. ``protect`` lists the
    units never to mask. ``unknown_names`` (warn, fail or ignore) decides
    whether the names to mask are checked against the host and the unit
    index (``index_loader`` returns it), and whether an unknown one fails the
    run. ``dependents`` (warn, refuse or ignore) decides whether the running
    or enabled units that need a unit to mask are looked for, and whether
    they fail the run. The result's ``unknown`` and ``dependents`` list what
    was found; its ``_warnings`` are the sentences to warn with, for the
    module to hand to Ansible. With ``exclusive``, every administrator's
    mask (in the persistent or runtime directory) of a unit that no item
    names, no trigger brings in and ``keep`` does not list is removed in the
    same run; the result's ``exclusive`` lists those units.
    Returns the module result; raises ModuleFailure.
    Every error that can be known in advance (bad names, options that do not
    apply, links or files in the way, a mask systemd would not honour,
    protected units, a unit asked two different things, unknown names with
    ``fail``, dependents with ``refuse``) is raised before any change.
    """
    try:
        protect = _protected_units(protect)
        requested = _check_items(items, scope)
        if exclusive and not any(unit_names for _request, unit_names in requested):
            raise PlanError({"exclusive": "with no unit named, exclusive=true would remove every mask on the "
                                          "host; name the units whose masks to have"})
        tree = read_tree(scope)
        choices = _choose(requested, tree, scope)
        # Asked before the read, which loads every unit it reads: only a unit
        # loaded already can have loaded units that depend on it.
        loaded_before = _loaded_before(systemctl, choices, tree, scope, dependents)
        states = read_units(systemctl, scope, [c.unit for c in choices], tree)
        trigger_choices = _trigger_choices(systemctl, choices, states, tree, scope)
        if trigger_choices:
            choices += trigger_choices
            states += read_units(systemctl, scope, [c.unit for c in trigger_choices], tree)
            # Triggers come from TriggeredBy, which names loaded units only.
            loaded_before.update(c.unit for c in trigger_choices)
        unlisted, left = unlisted_mask_choices(choices, tree, scope, keep) if exclusive else ([], [])
        if unlisted:
            choices += unlisted
            states += read_units(systemctl, scope, [c.unit for c in unlisted], tree)
        plan = plan_masking(choices, states, tree, scope, protect)
    except (InvalidUnitNames, PlanError, ReadError, SystemctlError) as exc:
        raise ModuleFailure("nothing was changed: %s" % exc, empty_result())

    names = check_mask_names(plan.records, tree, scope, unknown_names, index_loader)
    if names.unknown and unknown_names == "fail":
        raise ModuleFailure("nothing was changed: %s" % names.message, dict(empty_result(), unknown=names.unknown))
    needed = find_dependents(systemctl, plan, scope, dependents, loaded_before)
    warnings = [message for message, mode in ((names.message, unknown_names), (needed.message, dependents))
                if message and mode == "warn"]
    warnings += ["exclusive mode left the mask of %s: %s" % (unit, why) for unit, why in left]
    if needed.found and dependents == "refuse":
        raise ModuleFailure("nothing was changed: %s" % needed.message,
                            dict(needed.add_to(dict(empty_result(), unknown=names.unknown)), _warnings=warnings))

    if check_mode or not plan.has_changes:
        records = [r._replace(after=r.expected) for r in plan.records]
        return _with(report(records, diff, systemctl.commands), names, needed, warnings)

    try:
        apply_plan(systemctl, plan, scope.manager)
    except SystemctlError as exc:
        records = _read_after(systemctl, scope, plan.records, tree, fallback=True)
        result = report(records, diff, systemctl.commands)
        raise ModuleFailure("%s; changed before the failure: %s" % (exc, _changed_summary(result)),
                            _with(result, names, needed, warnings))

    try:
        records = _read_after(systemctl, scope, plan.records, tree)
    except (ReadError, SystemctlError) as exc:
        # Every change was made; what it did is what the plan expected, unverified.
        records = [r._replace(after=r.expected) for r in plan.records]
        raise ModuleFailure("the change was made but could not be read back to verify it: %s" % exc,
                            _with(report(records, diff, systemctl.commands), names, needed, warnings))
    result = _with(report(records, diff, systemctl.commands), names, needed, warnings)
    problems = verify(records, scope.manager)
    if problems:
        raise ModuleFailure(
            "the change did not take effect: %s; changed: %s" % (
                "; ".join("%s: %s" % item for item in problems.items()),
                _changed_summary(result)),
            result,
        )
    return result


class NameChecks(namedtuple("NameChecks", ["checks", "unknown", "message", "index"])):
    """The name check of a run: NameCheck by unit, the unknown names as
    asked, the sentence that names them (None: none), and how the unit index
    was used (None: nothing needed it)."""

    __slots__ = ()

    def add_to(self, result):
        """``result`` with each checked unit's ``name_check``, ``unknown`` and the index used."""
        for entry in result["units"]:
            check = self.checks.get(entry["unit"])
            if check is not None:
                entry["name_check"] = name_check.summary(check)
        result["unknown"] = list(self.unknown)
        if self.index is not None:
            result["unit_index"] = {"used": self.index.used, "release": self.index.release,
                                    "reason": self.index.reason}
        return result


class Dependents(namedtuple("Dependents", ["found", "message"])):
    """The dependents of a run: [Dependent] by unit to mask, and the sentence
    that names them (None: none)."""

    __slots__ = ()

    def add_to(self, result):
        """``result`` with each unit's ``dependents`` and the run's, by unit."""
        for entry in result["units"]:
            found = self.found.get(entry["unit"])
            if found:
                entry["dependents"] = dependents_guard.summary(found)
        result["dependents"] = dict((unit, [d.unit for d in found]) for unit, found in self.found.items())
        return result


def _loaded_before(systemctl, choices, tree, scope, mode):
    """The units of ``choices`` to mask that the manager has loaded, by their
    names or the unit their name is an alias of (empty with ``mode`` ignore).

    With ``refuse``, a failure to ask is the run's failure; with ``warn``,
    every unit to mask is counted as loaded, and the dependents read says
    what went wrong if it fails too.
    """
    # Only a unit with a file (and no mask yet) can be loaded unmasked: the rest cost no question.
    units = [c.unit for c in choices if c.request.state == "masked" and "@." not in c.unit
             and tree.lookup(c.unit).load_state == "loaded"]
    if mode == "ignore" or not scope.manager or not units:
        return set()
    names = dict((unit, tree.lookup(unit).unit) for unit in units)
    try:
        loaded = systemctl.loaded_units(sorted(set(units) | set(names.values())))
    except SystemctlError:
        if mode == "refuse":
            raise
        return set(units)
    return set(unit for unit, canonical in names.items() if unit in loaded or canonical in loaded)


def find_dependents(systemctl, plan, scope, mode, loaded_before=None):
    """The running or enabled units that need a unit the plan masks: Dependents.

    Only the units in ``loaded_before`` are asked about: a unit that no loaded
    unit depends on may still be loaded by the read, and systemd knows no unit
    that depends on it. That keeps a baseline of units that are installed and
    not running from costing one `systemctl show` of each.
    """
    if mode == "ignore" or not scope.manager:
        return Dependents({}, None)
    masked_in_run = set(plan.mask_persistent + plan.mask_persistent_force + plan.mask_runtime
                        + plan.mask_runtime_force + plan.stop)
    # systemd names dependents by their unit, not by the alias the run may have used.
    masked_in_run.update(r.before.lookup.unit for r in plan.records if r.before.unit in masked_in_run)
    units = [unit for unit in dependents_guard.units_to_check(plan)
             if loaded_before is None or unit in loaded_before]
    try:
        found = dependents_guard.read_dependents(systemctl, units, masked_in_run)
    except SystemctlError as exc:
        if mode == "refuse":
            raise ModuleFailure("nothing was changed: cannot read what depends on the units to mask: %s" % exc,
                                empty_result())
        return Dependents({}, "cannot read what depends on the units to mask, masking them all the same: %s" % exc)
    asked = dict((r.before.unit, r.choice.asked.asked) for r in reversed(plan.records))
    return Dependents(found, dependents_guard.dependents_message(found, asked))


def _with(result, names, needed, warnings):
    """The report with the name checks, the dependents and the warnings to give."""
    result = needed.add_to(names.add_to(result))
    result["_warnings"] = list(warnings)
    result["exclusive"] = [entry["unit"] for entry in result["units"] if entry.pop("_unlisted", False)]
    return result


# What exclusive mode asks of a mask that nothing names: remove it, from every layer.
UNLISTED = MaskRequest("unmasked", runtime=False, now=False, triggers=False, on_link="refuse")


def unlisted_mask_choices(choices, tree, scope, keep=()):
    """The masks exclusive mode removes: (a UnitChoice to unmask each unit, [(unit, why it is left)]).

    Taken: each unit with an administrator's mask (a link to /dev/null at its
    own name in the persistent or runtime directory) that no choice acts on or
    names, nor ``keep`` lists. Counted as named: a socket, path or timer whose
    file starts a unit asked with ``triggers``, an alias or instance whose
    name leads to a named unit or template. Left, and said why: masks that are
    not a link to /dev/null (an empty file, a relative link), which only
    someone who looks at them should remove. Packages' masks are never
    taken; names on disk that are not valid unit names are left alone.
    """
    named = set()
    with_triggers = set()
    for choice in choices:
        named.update((choice.unit, choice.asked.unit))
        if choice.request.triggers:
            with_triggers.add(choice.unit)
    kept = set()
    for name in keep or ():
        try:
            kept.add(parse_unit_name(name).unit)
        except InvalidUnitName as exc:
            raise PlanError({"keep": str(exc)})
    unlisted, left = [], []
    for directory in (scope.persistent_dir, scope.runtime_dir):
        for name, entry in sorted(tree.entries.get(directory, {}).items()):
            if entry.kind != "mask":
                continue
            try:
                asked = parse_unit_name(name)
            except InvalidUnitName:
                continue
            unit = asked.unit
            if unit in named or unit in kept or _named_through(unit, tree, scope, named, with_triggers):
                continue
            named.add(unit)
            if entry.link != MASK_TARGET:
                left.append((unit, "%s is %s, not a link to /dev/null; remove it by hand if it should go" % (
                    entry.path, "an empty file" if entry.link is None else "a link to %s" % entry.link)))
                continue
            unlisted.append(UnitChoice(asked, unit, UNLISTED))
    return unlisted, left


def _named_through(unit, tree, scope, named, with_triggers):
    """Whether a masked ``unit`` belongs to a named one: as its trigger, its
    alias, or an instance of a named template."""
    if triggered_unit(tree, scope, unit) in with_triggers:
        return True
    beneath = tree.without_entry(scope.persistent_dir, unit).without_entry(scope.runtime_dir, unit)
    if beneath.lookup(unit).unit in named:
        return True
    return is_instance(unit) and template_of(unit) in named


def check_mask_names(records, tree, scope, mode, index_loader=None):
    """Check the names the plan masks (as asked, not their triggers): NameChecks.

    Installed names are known from the read; only where one is not, the
    host's os-release and the unit index are read.
    """
    if mode == "ignore":
        return NameChecks({}, [], None, None)
    asked = {}
    states = []
    for record in records:
        if record.choice.request.state != "masked" or record.choice.trigger_of:
            continue
        if record.before.unit not in asked:
            asked[record.before.unit] = record.choice.asked.asked
            states.append(record.before)
    installed = dict((s.unit, name_check.is_installed(s, tree, scope)) for s in states)
    use, index = None, None
    if not all(installed.values()):
        use, index = name_check.index_use(name_check.read_os_release(scope.tree), lambda: name_check.index_from(index_loader))
    checks = name_check.check_names(states, installed, use, index, "system" if scope.name == "system" else "user")
    unknown = [asked[c.unit] for c in checks if c.status == "unknown"]
    return NameChecks(dict((c.unit, c) for c in checks), unknown, name_check.unknown_message(checks, asked), use)


def _protected_units(protect):
    """The protect list as full unit names (cron means cron.service)."""
    try:
        return [u.unit for u in parse_unit_names(protect or [])]
    except InvalidUnitNames as exc:
        raise PlanError({"protect": str(exc)})


def _check_items(items, scope):
    """Each item's parsed names and request, checked before anything is read.

    Returns [(request, [UnitName])]; raises PlanError with every problem of
    every item, each pointed at its item.
    """
    checked = []
    problems = {}
    for item in items:
        try:
            unit_names = parse_unit_names(item.names)
            check_request(item.request, unit_names, scope)
        except InvalidUnitNames as exc:
            problems[item.label or "name"] = str(exc)
            continue
        except PlanError as exc:
            problems.update(_pointed(item, exc.problems))
            continue
        checked.append((item.request, unit_names))
    if problems:
        raise PlanError(problems)
    return checked


def _pointed(item, problems):
    """Problems keyed by the item they belong to, where there are several items."""
    if item.label is None:
        return problems
    return dict(("%s %s" % (item.label, key), problem) for key, problem in problems.items())


def _choose(requested, tree, scope):
    """The UnitChoice of every name of every item, in request order."""
    choices = []
    problems = {}
    for request, unit_names in requested:
        try:
            choices += choose_units(request, unit_names, tree, scope)
        except PlanError as exc:
            problems.update(exc.problems)
    if problems:
        raise PlanError(problems)
    return choices


def _trigger_choices(systemctl, choices, states, tree, scope):
    """The UnitChoice of each trigger of the units whose request asks for them.

    A trigger takes the request of the units it can start. Where units asked
    different things share it, or the trigger is named in the request with
    other options, it comes in once per request, and the plan refuses it,
    naming both; never one of them silently.
    """
    asking = [(c, s) for c, s in zip(choices, states) if c.request.triggers]
    if not asking:
        return []
    named = dict((c.unit, c.request) for c in reversed(choices))
    found = find_triggers(systemctl, [s for _c, s in asking], tree, scope)
    trigger_choices = []
    for trigger, units in found.items():
        groups = []  # [(request, [units])]: requests that ask the same of the trigger share one
        for choice, state in asking:
            if state.unit not in units:
                continue
            group = next((g for g in groups if not requests_differ(g[0], choice.request)), None)
            if group is None:
                groups.append((choice.request, [state.unit]))
            elif state.unit not in group[1]:
                group[1].append(state.unit)
        for request, its_units in groups:
            if trigger in named and not requests_differ(named[trigger], request):
                continue  # named in the request as well, asked the same: acted on as named
            trigger_choices.append(trigger_choice(trigger, its_units, request))
    return trigger_choices


def find_triggers(systemctl, states, tree, scope):
    """The units that can start the given ones, by unit: {trigger: [units]}.

    systemd's TriggeredBy names them while they are loaded (one `systemctl
    show` of the units that are not templates); a trigger that is masked is
    not, so the usual same-name socket, path and timer that carry a mask are
    found in the unit tree as well (that is what unmasking needs).
    """
    loadable = [state.unit for state in states if "@." not in state.unit]
    triggered_by = {}
    if loadable:
        blocks = systemctl.show(loadable, ("TriggeredBy",))
        if len(blocks) != len(loadable):
            raise ReadError("systemctl show answered for %d units, asked for %d: %s"
                            % (len(blocks), len(loadable), " ".join(loadable)))
        triggered_by = dict((unit, block.get("TriggeredBy", "").split()) for unit, block in zip(loadable, blocks))
    triggers = {}
    for state in states:
        candidates = list(triggered_by.get(state.unit, ()))
        prefix, unit_type = state.unit.rsplit(".", 1)
        if unit_type == "service":
            for trigger_type in TRIGGER_TYPES:
                name = "%s.%s" % (prefix, trigger_type)
                if any(is_mask(tree.entry(d, name)) for d in (scope.persistent_dir, scope.runtime_dir)):
                    candidates.append(name)
        for trigger in candidates:
            triggers.setdefault(trigger, [])
            if state.unit not in triggers[trigger]:
                triggers[trigger].append(state.unit)
    return triggers


def apply_plan(systemctl, plan, manager=True):
    """Run the plan: unmask first, mask next, stop last; one call for each.

    Unit-file changes skip systemd's reload except the last one, which reloads
    for all of them before anything is stopped. If a change fails (after others
    skipped their reload, or halfway through its own units), the manager is
    reloaded before the failure is reported, so what was changed is what
    systemd sees.
    """
    unit_file_steps = [
        (systemctl.unmask, plan.unmask_runtime, {"runtime": True}),
        (systemctl.unmask, plan.unmask_persistent, {}),
        (systemctl.mask, plan.mask_persistent, {}),
        (systemctl.mask, plan.mask_persistent_force, {"force": True}),
        (systemctl.mask, plan.mask_runtime, {"runtime": True}),
        (systemctl.mask, plan.mask_runtime_force, {"runtime": True, "force": True}),
    ]
    unit_file_steps = [step for step in unit_file_steps if step[1]]
    for index, (command, units, options) in enumerate(unit_file_steps):
        try:
            command(units, reload=index == len(unit_file_steps) - 1, **options)
        except SystemctlError:
            if manager:
                _reload_after_failure(systemctl)
            raise
    if plan.stop:
        systemctl.stop(plan.stop)


def _reload_after_failure(systemctl):
    try:
        systemctl.daemon_reload()
    except SystemctlError:
        pass  # the failure being reported says more; the read after it tells what systemd sees


def _read_after(systemctl, scope, records, tree, fallback=False):
    """The records with ``after`` read from the system, for the units the plan
    changes; a unit it leaves alone keeps its state before.

    ``tree`` is the UnitTree read before the change. Its vendor directories
    are kept: masks and unmasks write to the persistent and runtime layers,
    and the daemon-reload after them reruns generators, but packages' own
    directories are not touched. With ``fallback`` (after a failed apply), an
    unreadable state falls back to the state before.
    """
    changing = [r.before.unit for r in records if _changes(r)]
    after = {}
    try:
        tree = reread_tree(scope, tree, exclude_layers=("vendor",))
        after = dict(zip(changing, read_units(systemctl, scope, changing, tree)))
    except (ReadError, SystemctlError):
        if not fallback:
            raise
    return [r._replace(after=after.get(r.before.unit, r.before)) for r in records]


def _changes(record):
    """Whether the plan expects the unit to change: its masks, its activity, or
    how systemd loads it (an instance whose template is unmasked)."""
    return record.expected != record.before


def verify(records, manager=True):
    """Compare the state read after applying with the plan; {unit: problem}.

    A mask counts where systemd's load state says masked, not only where its
    link is on disk: that is what keeps a unit from starting.
    """
    problems = {}
    for record in records:
        expected, state = record.expected, record.after
        if state.unit in problems:
            continue
        # The manager's load state where it was known before, else the lookup's prediction.
        expected_masked = (expected.load_state == "masked" if expected.load_state is not None
                           else expected.lookup.masked)
        if state.mask != expected.mask:
            problems[state.unit] = "mask is %s, expected %s" % (state.mask, expected.mask)
        elif expected_masked and state.load_state != "masked":
            problems[state.unit] = (
                "the mask link exists but systemd does not load the unit as masked "
                "(load state %s; its lookup finds %s)" % (state.load_state, state.loaded_from or "nothing"))
        elif not expected_masked and state.load_state == "masked":
            problems[state.unit] = "systemd still loads the unit as masked (by %s)" % (
                state.loaded_from or "a mask the lookup does not find")
        elif manager and expected.active_state == "inactive" and record.before.is_running and state.is_running:
            problems[state.unit] = "still %s after stop" % state.active_state
    return problems


def report(records, diff, commands):
    """The module result: one entry per requested unit, and what changed.

    Each record's ``after`` is the state read after applying, or the plan's
    expected state in check mode.
    """
    units = []
    masked, unmasked, stopped = [], [], []
    diffs = []
    for record in records:
        choice, old, new = record.choice, record.before, record.after
        entry = {
            "name": choice.asked.asked,
            "unit": old.unit,
            "changed": old.summary() != new.summary(),
            "before": old.summary(),
            "after": new.summary(),
        }
        if choice.link is not None:
            entry["link"] = {"path": choice.link.path, "target": choice.link.link,
                             "kind": choice.link.kind, "action": choice.link_action}
        alias_of = old.lookup.alias_of if old.lookup else None
        if alias_of and choice.link is None:
            entry["alias_of"] = alias_of
        if choice.trigger_of:
            entry["trigger_of"] = list(choice.trigger_of)
        if choice.request is UNLISTED:
            entry["_unlisted"] = True  # taken out again by _with, into the result's exclusive list
        units.append(entry)
        if not entry["changed"] or old.unit in masked + unmasked + stopped:
            continue
        if _mask_added(old, new):
            masked.append(old.unit)
        if _mask_removed(old, new):
            unmasked.append(old.unit)
        if old.is_running and record.expected.active_state == "inactive" and not new.is_running:
            stopped.append(old.unit)
        if diff:
            diffs.append(_diff_entry(old, new))

    result = {
        "changed": bool(masked or unmasked or stopped),
        "units": units,
        "masked": masked,
        "unmasked": unmasked,
        "stopped": stopped,
        "triggers": [r.choice.unit for r in records if r.choice.trigger_of],
        "commands": [list(argv) for argv in commands],
    }
    if diff:
        result["diff"] = diffs
    return result


def _mask_added(old, new):
    return ((is_mask(new.persistent) and not is_mask(old.persistent))
            or (is_mask(new.runtime) and not is_mask(old.runtime)))


def _mask_removed(old, new):
    return ((is_mask(old.persistent) and not is_mask(new.persistent))
            or (is_mask(old.runtime) and not is_mask(new.runtime)))


def _diff_entry(old, new):
    return {
        "before_header": "%s (before)" % old.unit,
        "after_header": "%s (after)" % new.unit,
        "before": _diff_text(old.summary()),
        "after": _diff_text(new.summary()),
    }


def _diff_text(summary):
    return "".join("%s: %s\n" % (key, _diff_value(value))
                   for key, value in summary.items())


def _diff_value(value):
    if value is None:
        return "(known after the change)"
    return value or '""'


def _changed_summary(result):
    parts = ["%s %s" % (key, ", ".join(result[key]))
             for key in ("masked", "unmasked", "stopped") if result[key]]
    return "; ".join(parts) or "nothing"


def empty_result():
    """The result of a run that failed before changing anything."""
    return {"changed": False, "units": [], "masked": [], "unmasked": [], "stopped": [], "triggers": [], "unknown": [],
            "dependents": {}, "exclusive": []}
