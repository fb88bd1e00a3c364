# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""The read step: each unit's state, from systemd's lookup on disk and its manager.

The unit directories are read once per step (unit_lookup). Where a manager
runs, one D-Bus call (ListUnitsByNames) adds its own load state and whether
each unit runs; it loads the units it is asked about, so its load state is
systemd's answer for the name, not a copy of the lookup's.
"""

from __future__ import annotations

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import UnitTree, UnitTreeError
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import is_instance, template_of
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import (
    UnitState,
    parse_list_unit_files,
    unit_file_state_of,
)


class ReadError(Exception):
    """The units' state could not be read; nothing was changed by reading."""


def read_tree(scope):
    """Read the scope's unit directories: a UnitTree. Raises ReadError.

    Under ``root``, a directory that leads out of the tree is refused by the
    lookup, which covers the directories masks are written to.
    """
    try:
        return UnitTree.read(scope.search_path, scope.tree)
    except UnitTreeError as exc:
        raise ReadError("cannot read the unit directories safely: %s" % exc)


def reread_tree(scope, tree, exclude_layers):
    """``tree`` (a UnitTree) with every directory read again but those of
    ``exclude_layers``. Raises ReadError as read_tree does."""
    layers = set(d.layer for d in scope.search_path) - set(exclude_layers)
    try:
        return tree.reread(scope.tree, layers)
    except UnitTreeError as exc:
        raise ReadError("cannot read the unit directories safely: %s" % exc)


def read_units(systemctl, scope, units, tree, unit_file_states=False):
    """The UnitState of each unit name in ``units``, in order, in one batch.

    With ``unit_file_states``, also what `systemctl list-unit-files` says of
    each (one more call, which costs systemd about 2 ms a unit).
    Raises ReadError where systemd's answer cannot be used.
    """
    manager = {}
    # Once each: a unit can be asked for twice (an alias and its unit, two items).
    loadable = _unique(unit for unit in units if "@." not in unit) if scope.manager else []
    if loadable:
        answers = systemctl.list_units_by_names(loadable)
        if not _names_agree(loadable, answers, tree):
            # The answer came through the bus; where the units it names are not
            # the ones the unit files say, ask the manager systemctl acts on itself,
            # and change nothing through the bus either.
            systemctl.bus_disagrees()
            answers = systemctl.show_units(loadable)
        if len(answers) != len(loadable):
            raise ReadError("the manager answered for %d units, asked for %d: %s"
                            % (len(answers), len(loadable), " ".join(loadable)))
        manager = dict(zip(loadable, answers))
    listed = {}
    if unit_file_states and units:
        # An instance without a file of its own is listed under its template.
        listed = parse_list_unit_files(systemctl.list_unit_files(
            _unique(list(units) + [template_of(u) for u in units if is_instance(u)])))

    states = []
    for unit in units:
        lookup = tree.lookup(unit)
        if unit in manager:
            _unit_id, load_state, active_state = manager[unit]
        else:
            # A template, or no manager: the lookup's answer; whether it runs is unknown.
            load_state, active_state = lookup.load_state, None
        states.append(UnitState(
            unit=unit,
            load_state=load_state,
            active_state=active_state,
            persistent=tree.entry(scope.persistent_dir, unit),
            runtime=tree.entry(scope.runtime_dir, unit),
            lookup=lookup,
            unit_file_state=unit_file_state_of(lookup, _listed_state(listed, unit)) if unit_file_states else None,
        ))
    return states


def _unique(units):
    seen = set()
    return [unit for unit in units if not (unit in seen or seen.add(unit))]


def _names_agree(units, answers, tree):
    """Whether each answer names the unit asked, or the unit its lookup ends at."""
    return len(answers) == len(units) and all(
        answer[0] in (unit, tree.lookup(unit).unit) for unit, answer in zip(units, answers))


def _listed_state(listed, unit):
    """What list-unit-files said of ``unit``, or of its template for an instance it did not list."""
    if unit in listed or not is_instance(unit):
        return listed.get(unit)
    return listed.get(template_of(unit))
