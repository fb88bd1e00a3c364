# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Which running or enabled units a mask breaks.

A unit that ``Requires=``, ``BindsTo=`` or ``Requisite=`` a unit being masked is
stopped with it (BindsTo, and Requires once the masked unit stops) or fails at
its next start, since a masked unit cannot be started for it. systemd keeps the
reverse of those dependencies on the unit itself (``RequiredBy``, ``BoundBy``,
``RequisiteOf``, for every unit it has loaded, by any of its names), so one
`systemctl show` of the units to mask names them, and one more of those
dependents tells which run or are enabled: the ones a mask breaks. Units
masked in the same run are not counted: they are meant to stop.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import RUNNING_STATES

CHOICES = ("warn", "refuse", "ignore")

# systemd's reverse dependency properties, and the dependency each stands for.
RELATIONS = (("RequiredBy", "Requires"), ("BoundBy", "BindsTo"), ("RequisiteOf", "Requisite"))
# Enabled states: the unit is pulled in at boot or by whatever it is enabled for.
ENABLED_STATES = ("enabled", "enabled-runtime")

Dependent = namedtuple("Dependent", ["unit", "dependency", "active_state", "unit_file_state"])
"""A unit that depends on a unit being masked: its name, the dependency it has
on it (Requires, BindsTo, Requisite), and its ActiveState and UnitFileState."""


def units_to_check(plan):
    """The units the plan masks that systemd loads now, unmasked: in plan order."""
    masking = set(plan.mask_persistent + plan.mask_persistent_force + plan.mask_runtime + plan.mask_runtime_force)
    seen = set()
    units = []
    for record in plan.records:
        unit = record.before.unit
        if unit in masking and unit not in seen and record.before.load_state == "loaded" and "@." not in unit:
            seen.add(unit)
            units.append(unit)
    return units


def read_dependents(systemctl, units, masked_in_run):
    """{unit: [Dependent]} for ``units``, of the dependents that run or are enabled.

    Two `systemctl show` calls at most: the reverse dependencies of ``units``,
    then the states of the dependents found. ``masked_in_run`` are left out
    as dependents. Raises SystemctlError.
    """
    if not units:
        return {}
    blocks = systemctl.show(units, ("Id",) + tuple(prop for prop, _dep in RELATIONS))
    found = {}  # unit -> [(dependent, dependency)]
    for unit, block in zip(units, blocks):
        for prop, dependency in RELATIONS:
            for dependent in block.get(prop, "").split():
                if dependent not in masked_in_run and dependent != unit:
                    found.setdefault(unit, []).append((dependent, dependency))
    names = sorted(set(dependent for pairs in found.values() for dependent, _dep in pairs))
    if not names:
        return {}
    # Dependents are loaded units, never templates, so show can read them all.
    states = dict(zip(names, systemctl.show(names, ("Id", "ActiveState", "UnitFileState"))))
    result = {}
    for unit, pairs in found.items():
        for dependent, dependency in pairs:
            state = states.get(dependent, {})
            active, file_state = state.get("ActiveState", ""), state.get("UnitFileState", "")
            if active in RUNNING_STATES or file_state in ENABLED_STATES:
                result.setdefault(unit, []).append(Dependent(dependent, dependency, active, file_state))
    return result


def dependents_message(found, asked):
    """One sentence naming each unit to mask and what its mask breaks.

    ``asked`` maps unit -> the name the user wrote.
    """
    parts = []
    for unit, dependents in found.items():
        name = asked.get(unit, unit)
        described = ", ".join("%s (%s it; %s)" % (d.unit, d.dependency, _how(d)) for d in dependents)
        parts.append("%s is needed by %s" % (name, described))
    if not parts:
        return None
    return ("masking breaks units that run or are enabled: %s. Mask those too, or leave the unit "
            "alone; dependents=ignore masks it anyway" % "; ".join(parts))


def _how(dependent):
    states = []
    if dependent.active_state in RUNNING_STATES:
        states.append(dependent.active_state)
    if dependent.unit_file_state in ENABLED_STATES:
        states.append(dependent.unit_file_state)
    return " and ".join(states)


def summary(dependents):
    """The dependents as reported in a unit's result entry."""
    return [{"unit": d.unit, "dependency": d.dependency, "active_state": d.active_state,
             "unit_file_state": d.unit_file_state} for d in dependents]
