# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Mask and unmask units: read -> plan -> apply -> verify -> report.

Each step is one function below. Reads and actions are batched: one
`systemctl show` for all units (one more for their triggers, when asked), then
one systemctl call per kind of action.
"""

from __future__ import annotations

import os

from ansible_collections.sysguard.systemd.plugins.module_utils.mask_plan import (
    PlanError,
    check_request,
    plan_masking,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.systemctl import SystemctlError
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import (
    InvalidUnitNames,
    UnitName,
    parse_unit_names,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import (
    parse_list_unit_files,
    parse_show,
    read_dir_entry,
    state_from_files,
    state_from_show,
)


class MaskingFailed(Exception):
    """The run failed; ``result`` still says what it changed before failing."""

    def __init__(self, msg, result):
        super().__init__(msg)
        self.msg = msg
        self.result = result


def run_masking(systemctl, names, request, scope, check_mode=False, diff=False):
    """Bring the named units to ``request`` in ``scope``; return the module result.

    Raises MaskingFailed. Every error that can be known in advance (bad names,
    options that do not apply, files in the way) is raised before any change.
    """
    try:
        unit_names = parse_unit_names(names)
        check_request(request, unit_names, scope)
    except (InvalidUnitNames, PlanError) as exc:
        raise MaskingFailed(str(exc), empty_result())

    try:
        before = read_units(systemctl, unit_names, scope)
        triggers = {}
        if request.triggers:
            triggers = find_triggers(before, scope.dirs)
            trigger_names = [UnitName(unit, unit, "plain") for unit in triggers]
            unit_names += trigger_names
            before += read_units(systemctl, trigger_names, scope)
        plan = plan_masking(request, before, scope.dirs.outranking)
    except (SystemctlError, PlanError) as exc:
        raise MaskingFailed("nothing was changed: %s" % exc, empty_result())

    if check_mode or not plan.has_changes:
        after = [plan.expected[state.unit] for state in before]
        return report(unit_names, before, after, plan, diff, systemctl.commands, triggers)

    try:
        apply_plan(systemctl, plan)
    except SystemctlError as exc:
        after = _read_after_failure(systemctl, unit_names, before, scope)
        result = report(unit_names, before, after, plan, diff, systemctl.commands, triggers)
        raise MaskingFailed(
            "%s; changed before the failure: %s" % (exc, _changed_summary(result)), result)

    after = read_units(systemctl, _acted_on(unit_names, before), scope)
    result = report(unit_names, before, after, plan, diff, systemctl.commands, triggers)
    problems = verify(plan, after, scope.manager)
    if problems:
        raise MaskingFailed(
            "the change did not take effect: %s; changed: %s" % (
                "; ".join("%s: %s" % item for item in problems.items()),
                _changed_summary(result)),
            result,
        )
    return result


def read_units(systemctl, unit_names, scope):
    """Read the state of every unit in one batch; UnitStates in request order.

    An alias is read as the unit it names, so its state's ``unit`` is that unit.
    Where a manager runs, `systemctl show` reads the units; templates, and every
    unit where no manager runs, are read from their unit files.
    """
    dirs = scope.dirs
    unit_names = [_resolve_alias_link(u, dirs) for u in unit_names]
    states = {}
    loadable = [u for u in unit_names if u.kind != "template"] if scope.manager else []
    if loadable:
        blocks = parse_show(systemctl.show(u.unit for u in loadable))
        if len(blocks) != len(loadable):
            raise SystemctlError(systemctl.commands[-1], 0, "", "expected %d units in the output, got %d"
                                 % (len(loadable), len(blocks)))
        for unit_name, block in zip(loadable, blocks):
            # Aliases a package ships are masked under their own name (see
            # _resolve_alias_link), so systemd's Id for them is not used.
            states[unit_name.asked] = state_from_show(
                unit_name.unit, block, *_mask_entries(unit_name.unit, dirs))

    from_files = [u for u in unit_names if u.asked not in states]
    if from_files:
        unit_file_states = parse_list_unit_files(systemctl.list_unit_files(u.unit for u in from_files))
        for unit_name in from_files:
            states[unit_name.asked] = state_from_files(
                unit_name.unit, unit_file_states.get(unit_name.unit), *_mask_entries(unit_name.unit, dirs))

    return [states[u.asked] for u in unit_names]


# The unit types that can start another unit.
TRIGGER_TYPES = ("socket", "path", "timer")


def find_triggers(states, dirs):
    """The units that can start the given ones, by unit: {trigger: [units]}.

    systemd's TriggeredBy names them while they are loaded; a trigger that is
    masked is not, so the usual same-name socket, path and timer that carry a
    mask link are found on disk as well (that is what unmasking needs).
    """
    requested = set(state.unit for state in states)
    triggers = {}
    for state in states:
        candidates = list(state.triggered_by)
        prefix, unit_type = state.unit.rsplit(".", 1)
        if unit_type == "service":
            for trigger_type in TRIGGER_TYPES:
                name = "%s.%s" % (prefix, trigger_type)
                if any(read_dir_entry(d, name).kind == "mask" for d in (dirs.persistent, dirs.runtime)):
                    candidates.append(name)
        for trigger in candidates:
            if trigger not in requested:
                triggers.setdefault(trigger, [])
                if state.unit not in triggers[trigger]:
                    triggers[trigger].append(state.unit)
    return triggers


def _resolve_alias_link(unit_name, dirs):
    """Follow an alias link in /etc or /run to the unit it names.

    Such a link (sshd.service -> ssh.service, made by enabling ssh) sits where
    the mask would have to go, so the alias cannot be masked: its unit is.
    An alias that a package ships in /lib (ctrl-alt-del.target ->
    reboot.target) is masked under its own name, as systemctl does: masking
    reboot.target instead would stop the host from rebooting.

    The link on disk is read rather than systemd's answer, because systemd stops
    resolving an alias once its unit is masked.
    """
    for directory in (dirs.persistent, dirs.runtime):
        entry = read_dir_entry(directory, unit_name.unit)
        if entry.kind == "link":
            target = os.path.basename(entry.target)
            if target != unit_name.unit and target.rsplit(".", 1)[-1] == unit_name.unit.rsplit(".", 1)[-1]:
                return unit_name._replace(unit=target)
        if entry.kind != "missing":
            break
    return unit_name


def _mask_entries(unit, dirs):
    return read_dir_entry(dirs.persistent, unit), read_dir_entry(dirs.runtime, unit)


def apply_plan(systemctl, plan):
    """Run the plan: unmask first, mask next, stop last; one call for each.

    Unit-file changes skip systemd's reload except the last one, which reloads
    for all of them before anything is stopped.
    """
    unit_file_steps = [
        (systemctl.unmask, plan.unmask_runtime, True),
        (systemctl.unmask, plan.unmask_persistent, False),
        (systemctl.mask, plan.mask_persistent, False),
        (systemctl.mask, plan.mask_runtime, True),
    ]
    unit_file_steps = [step for step in unit_file_steps if step[1]]
    for index, (command, units, runtime) in enumerate(unit_file_steps):
        command(units, runtime=runtime, reload=index == len(unit_file_steps) - 1)
    if plan.stop:
        systemctl.stop(plan.stop)


def verify(plan, after, manager=True):
    """Compare the state read after applying with the plan; {unit: problem}.

    Where no manager runs, the mask links on disk are all there is to check.
    """
    problems = {}
    for state in after:
        expected = plan.expected[state.unit]
        if state.mask != expected.mask:
            problems[state.unit] = "mask is %s, expected %s" % (state.mask, expected.mask)
        elif manager and expected.mask != "none" and state.load_state != "masked":
            problems[state.unit] = (
                "the mask link exists but systemd still loads the unit from %s "
                "(load state %s)" % (state.fragment_path or "elsewhere", state.load_state))
        elif state.unit in plan.stop and state.is_running:
            problems[state.unit] = "still %s after stop" % state.active_state
    return problems


def report(unit_names, before, after, plan, diff, commands, triggers=None):
    """The module result: one entry per requested unit, and what changed.

    ``after`` is the state read after applying, or the plan's expected state in
    check mode. An alias asked for next to its unit is listed once. ``triggers``
    maps the units that came in as triggers to the units they start.
    """
    triggers = triggers or {}
    units = []
    masked, unmasked, stopped = [], [], []
    diffs = []
    for unit_name, old, new in zip(unit_names, before, after):
        entry = {
            "name": unit_name.asked,
            "unit": old.unit,
            "changed": old.summary() != new.summary(),
            "before": old.summary(),
            "after": new.summary(),
        }
        if unit_name.asked in triggers:
            entry["trigger_of"] = triggers[unit_name.asked]
        units.append(entry)
        if not entry["changed"] or old.unit in masked + unmasked + stopped:
            continue
        if _mask_added(old, new):
            masked.append(old.unit)
        if _mask_removed(old, new):
            unmasked.append(old.unit)
        if old.unit in plan.stop and not new.is_running:
            stopped.append(old.unit)
        if diff:
            diffs.append(_diff_entry(old, new))

    result = {
        "changed": bool(masked or unmasked or stopped),
        "units": units,
        "masked": masked,
        "unmasked": unmasked,
        "stopped": stopped,
        "triggers": list(triggers),
        "commands": [list(argv) for argv in commands],
    }
    if diff:
        result["diff"] = diffs
    return result


def _mask_added(old, new):
    return ((new.persistent.kind == "mask" and old.persistent.kind != "mask")
            or (new.runtime.kind == "mask" and old.runtime.kind != "mask"))


def _mask_removed(old, new):
    return ((old.persistent.kind == "mask" and new.persistent.kind != "mask")
            or (old.runtime.kind == "mask" and new.runtime.kind != "mask"))


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


def _read_after_failure(systemctl, unit_names, before, scope):
    """Read what a failed apply left behind; fall back to ``before`` if unreadable."""
    try:
        return read_units(systemctl, _acted_on(unit_names, before), scope)
    except SystemctlError:
        return before


def _acted_on(unit_names, states):
    """The requested names, each pointing at the unit that was acted on."""
    return [u._replace(unit=state.unit) for u, state in zip(unit_names, states)]


def _changed_summary(result):
    parts = ["%s %s" % (key, ", ".join(result[key]))
             for key in ("masked", "unmasked", "stopped") if result[key]]
    return "; ".join(parts) or "nothing"


def empty_result():
    """The result of a run that failed before changing anything."""
    return {"changed": False, "units": [], "masked": [], "unmasked": [], "stopped": [], "triggers": []}
