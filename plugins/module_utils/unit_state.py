# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""What a unit looks like right now: the lookup on disk and the manager's view.

Parsing is kept free of I/O so it can be tested without systemd.
"""

from __future__ import annotations

from collections import namedtuple

# The `mask` value reported for each combination of (persistent, runtime) masks.
_MASK_NAMES = {
    (False, False): "none",
    (False, True): "runtime",
    (True, False): "persistent",
    (True, True): "both",
}

# Active states in which a unit still has to be stopped.
RUNNING_STATES = ("active", "activating", "deactivating", "reloading", "refreshing")


class UnitState(namedtuple("UnitState", [
    "unit", "load_state", "active_state", "persistent", "runtime", "lookup", "unit_file_state",
])):
    """One unit's state.

    ``persistent`` and ``runtime`` are the lookup Entry at the unit's own name
    in the scope's persistent and runtime directories (None: nothing there).
    ``lookup`` is the UnitFile systemd's lookup gives for the name.
    ``load_state`` and ``active_state`` are the manager's answer where one
    runs; elsewhere the load state is the lookup's and ``active_state`` is
    None, as it is for templates, which never run themselves. In a predicted
    state, a field only systemd can tell after the change is None.
    ``unit_file_state`` (enabled, static, masked...) is read only where it is
    reported (mask_info), else None: systemd takes about 2 ms a unit to work it
    out, more than everything else the module reads.
    """

    __slots__ = ()

    @property
    def mask(self):
        return _MASK_NAMES[(is_mask(self.persistent), is_mask(self.runtime))]

    @property
    def is_running(self):
        return self.active_state in RUNNING_STATES

    @property
    def loaded_from(self):
        """The path systemd's lookup loads the unit from (for a masked unit, the
        mask that wins), or None."""
        return self.lookup.fragment.path if self.lookup.fragment is not None else None

    def summary(self):
        """The fields reported to the user, before or after a change."""
        return {
            "load_state": self.load_state,
            "active_state": self.active_state,
            "mask": self.mask,
        }


UnitState.__new__.__defaults__ = (None,)


def is_mask(entry):
    """Whether a lookup Entry (or None, for nothing there) is a mask."""
    return entry is not None and entry.kind == "mask"


def parse_show(output):
    """Parse `systemctl show -p ...` output for several units.

    systemctl prints one block of KEY=VALUE lines per unit, in the order the units
    were given, blocks separated by an empty line. Returns a list of dicts.
    """
    blocks = []
    current = {}
    for line in output.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, sep, value = line.partition("=")
        if sep:
            current[key] = value
    if current:
        blocks.append(current)
    return blocks


def parse_list_unit_files(output):
    """Parse `systemctl list-unit-files --no-legend` output: {unit: state}."""
    states = {}
    for line in output.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            states[fields[0]] = fields[1]
    return states


def unit_file_state_of(lookup, listed):
    """The unit file state to report (mask_info).

    A mask's state follows from where the winning mask is, as the manager
    reads it (list-unit-files reads some links otherwise); for any other unit,
    what `systemctl list-unit-files` said (``listed``), if anything.
    """
    if lookup.masked:
        return "masked-runtime" if lookup.fragment.layer == "runtime" else "masked"
    return listed or ""
