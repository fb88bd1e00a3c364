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

SHOW_PROPERTIES = ("Id", "LoadState", "ActiveState", "UnitFileState", "FragmentPath", "TriggeredBy")


class UnitState(namedtuple("UnitState", [
    "unit", "load_state", "active_state", "unit_file_state", "fragment_path",
    "persistent", "runtime", "triggered_by", "lookup",
])):
    """One unit's state.

    ``persistent`` and ``runtime`` are the lookup Entry at the unit's own name
    in the scope's persistent and runtime directories (None: nothing there).
    ``lookup`` is the UnitFile systemd's lookup gives for the name.
    ``load_state`` is the manager's answer where one runs, else the lookup's;
    ``fragment_path`` is the file systemd loads the unit from, for a masked unit
    the mask that wins. ``active_state`` is None for templates, which never run
    themselves, and where no manager runs. In a predicted state, a field only
    systemd can tell after the change is None. ``triggered_by`` are the
    sockets, paths and timers that can start the unit.
    """

    __slots__ = ()

    @property
    def mask(self):
        return _MASK_NAMES[(is_mask(self.persistent), is_mask(self.runtime))]

    @property
    def is_running(self):
        return self.active_state in RUNNING_STATES

    def summary(self):
        """The fields reported to the user, before or after a change."""
        return {
            "load_state": self.load_state,
            "active_state": self.active_state,
            "unit_file_state": self.unit_file_state,
            "mask": self.mask,
        }


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
    """The unit file state to report where `systemctl show` cannot be asked.

    A mask's state follows from where the winning mask is; otherwise what
    `systemctl list-unit-files` said (``listed``), if anything.
    """
    if lookup.masked:
        return "masked-runtime" if lookup.fragment.layer == "runtime" else "masked"
    return listed or ""
