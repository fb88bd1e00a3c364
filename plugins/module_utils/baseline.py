# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Turn a baseline written as inventory layers into the items of one mask call.

Used by the role sysguard.systemd.masking through the filter
sysguard.systemd.masking_batches. Pure: no I/O.
"""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import (
    InvalidUnitName,
    parse_unit_name,
)

ITEM_OPTIONS = ("state", "runtime", "now", "triggers")
"""Options an item may set for itself; the rest come from the role's defaults."""

BOOLEAN_OPTIONS = ("runtime", "now", "triggers")

ITEM_LABELS = ("control", "title")
"""What an item may say of itself without changing what is done: the ID of the
benchmark control it implements (CIS ``2.1.11``, STIG ``UBTU-22-211015``) and
that control's title. Results and reports group units by control."""

STATES = ("masked", "unmasked")


class BaselineError(ValueError):
    """The layers contradict each other or ask for something refused."""


def plan_baseline(layers, defaults, exceptions=(), protected=(), allow_protected=False):
    """Merge the layers and group their units by option set.

    ``layers`` maps a source name (the variable it came from) to its list of
    items; each item is a unit name or a mapping with ``name`` and any of
    ITEM_OPTIONS. ``defaults`` gives ITEM_OPTIONS for items that do not.

    Returns a dict with ``batches`` (unmask batches first, then mask batches,
    each ``{state, runtime, now, triggers, name: [units]}``), ``skipped`` (units left
    alone because of ``exceptions``) and ``controls`` (the controls the items
    name, in order of first mention: ``{control, title, units, sources}``; an
    excepted unit stays listed under its control). Raises BaselineError naming
    the units and the sources at fault.
    """
    wanted = {}  # unit -> (options, [sources])
    controls = {}  # control -> {control, title, units, sources}
    problems = []
    for source, value in (("masking_exceptions", exceptions), ("masking_protected_units", protected)):
        problem = _not_a_list(source, value)
        if problem:
            raise BaselineError(problem)
    for source in sorted(layers):
        problem = _not_a_list(source, layers[source])
        if problem:
            problems.append(problem)
            continue
        for item in layers[source] or []:
            unit, options, problem = _read_item(item, defaults, source)
            if problem:
                problems.append(problem)
                continue
            _add_control(controls, item, unit, source)
            if unit not in wanted:
                wanted[unit] = (options, [source])
                continue
            merged, sources = wanted[unit]
            if merged["state"] != options["state"]:
                problems.append("%s is asked %s by %s and %s by %s" % (
                    unit, merged["state"], " and ".join(sources), options["state"], source))
                continue
            wanted[unit] = (_merge(merged, options), sources + [source])

    exceptions = set(_canonical(name) for name in exceptions or [])
    skipped = [unit for unit in wanted if unit in exceptions]

    protected = set(_canonical(name) for name in protected or [])
    if not allow_protected:
        for unit, (options, sources) in wanted.items():
            if unit in protected and unit not in exceptions and options["state"] == "masked":
                problems.append(
                    "%s is protected (masking_protected_units): masking it can cut off "
                    "access to the host or keep it from booting; asked by %s; set "
                    "masking_allow_protected: true to mask it anyway"
                    % (unit, " and ".join(sources)))
    if problems:
        raise BaselineError("; ".join(problems))

    batches = {}
    for unit, (options, sources) in wanted.items():
        if unit in exceptions:
            continue
        key = tuple(options[o] for o in ITEM_OPTIONS)
        batches.setdefault(key, []).append(unit)
    # Unmask before mask, so nothing fights: linux-system-roles' order.
    ordered = sorted(batches, key=lambda key: (key[0] != "unmasked", key))
    return {
        "batches": [dict(zip(ITEM_OPTIONS, key), name=batches[key]) for key in ordered],
        "skipped": skipped,
        "controls": list(controls.values()),
    }


def _add_control(controls, item, unit, source):
    """Note the unit under the control its item names, if any."""
    if not isinstance(item, dict) or item.get("control") is None:
        return
    control = controls.setdefault(str(item["control"]), {
        "control": str(item["control"]), "title": item.get("title"), "units": [], "sources": []})
    if control["title"] is None:
        control["title"] = item.get("title")
    if unit not in control["units"]:
        control["units"].append(unit)
    if source not in control["sources"]:
        control["sources"].append(source)


def controls_report(plan, units, unknown=()):
    """Each control of ``plan`` (plan_baseline's) with how its units stand after the run.

    ``units`` are the mask module's ``units`` entries and ``unknown`` its
    unknown names. A control holds (``compliant``) when each of its units that
    is not excepted is as the plan asks it, masked or not as systemd loads it,
    and none is an unknown name, which no mask protects.
    """
    wanted = {}
    for batch in plan["batches"]:
        for unit in batch["name"]:
            wanted[unit] = batch["state"]
    after = {}  # by the name asked: the role asks by full unit name
    for entry in units:
        after.setdefault(_canonical(entry["name"]), entry["after"])
    unknown_units = set(_canonical(name) for name in unknown)
    report = []
    for control in plan["controls"]:
        holds, fails, excepted = [], [], []
        for unit in control["units"]:
            if unit in plan["skipped"]:
                excepted.append(unit)
            elif unit in after and _is_masked(after[unit]) == (wanted.get(unit) == "masked"):
                holds.append(unit)
            else:
                fails.append(unit)
        its_unknown = [unit for unit in control["units"] if unit in unknown_units]
        report.append(dict(control, holds=holds, fails=fails, excepted=excepted,
                           unknown=its_unknown, compliant=not fails and not its_unknown))
    return report


def _is_masked(state):
    """Whether a unit's reported state is masked: systemd's load state, or
    where that is not known yet (check mode), the mask it would have."""
    if state.get("load_state") is not None:
        return state["load_state"] == "masked"
    return state.get("mask") not in (None, "none")


def _not_a_list(source, value):
    """Why ``value`` cannot be read as a list of units, or None.

    A string would be taken one character at a time: cron as c, r, o and n.
    """
    if value is None or isinstance(value, (list, tuple)):
        return None
    return "%s must be a list of units, not %s %r; write it as [%s]" % (
        source, "the string" if isinstance(value, str) else "a " + type(value).__name__,
        value, value if isinstance(value, str) else "...")


def _read_item(item, defaults, source):
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return None, None, "%s: each item must be a unit name or a mapping with a name, not %r" % (source, item)
    unknown = sorted(set(item) - set(ITEM_OPTIONS) - set(ITEM_LABELS) - {"name"})
    if unknown:
        return None, None, "%s: %s has unknown key%s %s" % (
            source, item["name"], "s" if len(unknown) > 1 else "", ", ".join(unknown))
    for label in ITEM_LABELS:
        value = item.get(label)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
            return None, None, "%s: %s has %s %r, expected a string%s" % (
                source, item["name"], label, value,
                " (quote it: YAML reads 2.10 as the number 2.1)" if isinstance(value, float) else "")
    # An option left empty (now: ~) is left out: the role's default applies.
    options = dict((o, defaults.get(o) if item.get(o) is None else item[o]) for o in ITEM_OPTIONS)
    for option in BOOLEAN_OPTIONS:
        # An inventory, -e or a survey can send "false", which Python reads as true
        # when two layers' requests are merged: read it as Ansible reads a boolean.
        # An empty default is false, as the module's own default is.
        try:
            options[option] = boolean(options[option], strict=True) if options[option] is not None else False
        except TypeError:
            return None, None, "%s: %s has %s %r%s, expected true or false" % (
                source, item["name"], option, options[option],
                "" if item.get(option) is not None else " (the role's default)")
    if options["state"] not in STATES:
        return None, None, "%s: %s has state %r, expected masked or unmasked" % (
            source, item["name"], options["state"])
    if options["state"] == "unmasked":
        # now only applies to masking; an unmask item must not differ by it.
        options["now"] = False
    return _canonical(item["name"]), options, None


def _canonical(name):
    """The full unit name, so that cron and cron.service are one unit."""
    try:
        return parse_unit_name(name).unit
    except InvalidUnitName:
        return name  # the module names it as invalid, with the reason


def _merge(first, second):
    """Two layers asking the same state: the stronger request wins.

    A persistent mask covers a runtime one, and a full unmask covers removing
    only the runtime mask; stopping, and taking the triggers along, are wanted
    if any layer wants them.
    """
    return {
        "state": first["state"],
        "runtime": first["runtime"] and second["runtime"],
        "now": first["now"] or second["now"],
        "triggers": first["triggers"] or second["triggers"],
    }
