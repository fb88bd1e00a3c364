# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Plan masking: from the units' state and the request to the actions to take.

Pure functions only: no systemctl, no file system. The same plan drives check mode
(report it), the real run (apply it) and verification (compare against it).
"""

from __future__ import annotations

import os
from collections import namedtuple

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import DirEntry, MASK_TARGET

MaskRequest = namedtuple("MaskRequest", ["state", "runtime", "now", "triggers"])
"""What the user asked: state ``masked`` or ``unmasked``, runtime, now, triggers."""
MaskRequest.__new__.__defaults__ = (False,)


class MaskPlan(namedtuple("MaskPlan", [
    "mask_persistent", "mask_runtime", "unmask_persistent", "unmask_runtime", "stop",
    "expected",
])):
    """Units for each kind of action, in request order, and the expected states.

    ``expected`` maps each unit to the UnitState it should have afterwards.
    """

    __slots__ = ()

    @property
    def has_changes(self):
        return any(self[:5])


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


def plan_masking(request, states, outranking=()):
    """Return the MaskPlan that takes ``states`` (UnitState list) to ``request``.

    ``outranking`` are the directories whose units no mask can override.

    Raises PlanError naming every unit that cannot be brought there and why,
    before anything is changed.
    """
    actions = {"mask_persistent": [], "mask_runtime": [], "unmask_persistent": [],
               "unmask_runtime": [], "stop": []}
    expected = {}
    problems = {}
    for state in states:
        if state.unit in expected:
            continue  # an alias and its unit were both requested
        if request.state == "masked":
            unit_actions, problem = _plan_mask(request, state, outranking)
        else:
            unit_actions, problem = _plan_unmask(request, state)
        if problem:
            problems[state.unit] = problem
            continue
        for action in unit_actions:
            actions[action].append(state.unit)
        expected[state.unit] = _expected_state(state, unit_actions)
    if problems:
        raise PlanError(problems)
    return MaskPlan(expected=expected, **actions)


def _plan_mask(request, state, outranking):
    actions = []
    if state.fragment_path and os.path.dirname(state.fragment_path) in outranking:
        return [], (
            "systemd loads it from %s, which outranks %s and %s, so no mask can "
            "take effect (a transient or generated unit)"
            % (state.fragment_path, os.path.dirname(state.persistent.path),
               os.path.dirname(state.runtime.path))
        )
    has_mask = state.persistent.kind == "mask" or state.runtime.kind == "mask"
    blocker = _blocking_entry(state.persistent)
    if request.runtime:
        if not has_mask:
            if blocker:
                return [], blocker + (
                    "; a runtime mask cannot override it either, because /etc "
                    "outranks /run"
                )
            runtime_blocker = _blocking_entry(state.runtime)
            if runtime_blocker:
                return [], runtime_blocker
            actions.append("mask_runtime")
    elif state.persistent.kind != "mask":
        if blocker:
            return [], blocker + (
                "; and a runtime mask would not override it either, because /etc "
                "outranks /run"
            )
        actions.append("mask_persistent")
    if request.now and state.is_running:
        actions.append("stop")
    return actions, None


def _plan_unmask(request, state):
    actions = []
    removed = set()
    if state.runtime.kind == "mask":
        actions.append("unmask_runtime")
        removed.add(state.runtime.path)
    if not request.runtime and state.persistent.kind == "mask":
        actions.append("unmask_persistent")
        removed.add(state.persistent.path)
    if not request.runtime and state.load_state == "masked":
        # systemd 247 reports a masked unit's FragmentPath as /dev/null itself, so
        # where its mask lives is then only known when it is one of ours.
        mask_path = state.fragment_path if state.fragment_path not in ("", MASK_TARGET) else None
        if not removed or (mask_path and mask_path not in removed):
            return [], (
                "masked by %s, which is left alone: only links to /dev/null at the "
                "unit's own name in %s or %s are removed (a template's mask goes "
                "by unmasking the template)"
                % (mask_path or "a file elsewhere",
                   os.path.dirname(state.persistent.path),
                   os.path.dirname(state.runtime.path))
            )
    return actions, None


def _blocking_entry(entry):
    """Why ``entry`` keeps systemctl from writing a mask there, or None."""
    if entry.kind == "file":
        what = "a unit file"
    elif entry.kind == "link":
        what = "a link to %s (a linked unit file or an alias)" % entry.target
    else:
        return None
    return (
        "%s already exists and is %s, not a mask; systemctl will not replace it, "
        "and this module never removes it" % (entry.path, what)
    )


def _expected_state(state, actions):
    """The state the unit should be in once ``actions`` are applied."""
    if not actions:
        return state
    persistent, runtime = state.persistent, state.runtime
    if "mask_persistent" in actions:
        persistent = DirEntry(persistent.path, "mask", MASK_TARGET)
    if "unmask_persistent" in actions:
        persistent = DirEntry(persistent.path, "missing", None)
    if "mask_runtime" in actions:
        runtime = DirEntry(runtime.path, "mask", MASK_TARGET)
    if "unmask_runtime" in actions:
        runtime = DirEntry(runtime.path, "missing", None)

    expected = state._replace(persistent=persistent, runtime=runtime)
    if "stop" in actions:
        expected = expected._replace(active_state="inactive")
    if expected.mask == state.mask:
        return expected
    if persistent.kind == "mask":
        return expected._replace(load_state="masked", unit_file_state="masked",
                                 fragment_path=persistent.path)
    if runtime.kind == "mask":
        return expected._replace(load_state="masked", unit_file_state="masked-runtime",
                                 fragment_path=runtime.path)
    # Unmasked: what systemd loads instead is only known once it has reloaded.
    return expected._replace(load_state=None, unit_file_state=None, fragment_path=None)
