# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""The read step: each unit's state, from systemd's lookup on disk and its manager.

The unit directories are read once per step (unit_lookup); where a manager
runs, one `systemctl show` adds what only it knows (whether a unit runs, what
triggers it) and its own load state, which is the one reported.
"""

from __future__ import annotations

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import UnitTree, UnitTreeError
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import (
    UnitState,
    parse_list_unit_files,
    parse_show,
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


def read_units(systemctl, scope, units, tree):
    """The UnitState of each unit name in ``units``, in order, in one batch.

    Raises ReadError where systemd's answer cannot be used.
    """
    lookups = [tree.lookup(unit) for unit in units]
    answers = {}
    loadable = [unit for unit in units if "@." not in unit] if scope.manager else []
    if loadable:
        blocks = parse_show(systemctl.show(loadable))
        if len(blocks) != len(loadable):
            raise ReadError("systemctl show answered for %d units, asked for %d: %s"
                            % (len(blocks), len(loadable), " ".join(loadable)))
        answers = dict(zip(loadable, blocks))
    listed = {}
    from_files = [unit for unit in units if unit not in answers]
    if from_files:
        listed = parse_list_unit_files(systemctl.list_unit_files(from_files))

    states = []
    for unit, lookup in zip(units, lookups):
        persistent = tree.entry(scope.persistent_dir, unit)
        runtime = tree.entry(scope.runtime_dir, unit)
        if unit in answers:
            states.append(_from_show(unit, answers[unit], persistent, runtime, lookup))
        else:
            states.append(_from_lookup(unit, listed.get(unit), persistent, runtime, lookup))
    return states


def _from_show(unit, block, persistent, runtime, lookup):
    return UnitState(
        unit=unit,
        load_state=block.get("LoadState", ""),
        active_state=block.get("ActiveState", ""),
        unit_file_state=block.get("UnitFileState", ""),
        fragment_path=block.get("FragmentPath", ""),
        persistent=persistent,
        runtime=runtime,
        triggered_by=tuple(block.get("TriggeredBy", "").split()),
        lookup=lookup,
    )


def _from_lookup(unit, listed, persistent, runtime, lookup):
    """A template's state, or any unit's where no manager runs: the lookup's.

    Whether it runs is unknown (None).
    """
    return UnitState(
        unit=unit,
        load_state=lookup.load_state,
        active_state=None,
        unit_file_state=unit_file_state_of(lookup, listed),
        fragment_path=lookup.fragment.path if lookup.fragment else "",
        persistent=persistent,
        runtime=runtime,
        triggered_by=(),
        lookup=lookup,
    )
