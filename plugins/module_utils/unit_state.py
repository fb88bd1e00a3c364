# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""What a unit looks like right now: systemd's view and the mask links on disk.

Parsing is kept free of I/O so it can be tested without systemd.
"""

from __future__ import annotations

import os
from collections import namedtuple

UnitDirs = namedtuple("UnitDirs", ["persistent", "runtime", "outranking", "vendor"])
"""Where `systemctl mask` writes: a link to /dev/null in ``persistent`` is a
persistent mask, in ``runtime`` a mask until the next reboot. A unit loaded from
one of the ``outranking`` directories (transient units, early generators, control
files) cannot be masked at all, since those come before ``persistent``. Packages
ship unit files, and sometimes masks, in the ``vendor`` directories."""
UnitDirs.__new__.__defaults__ = ((), ())

SYSTEM_DIRS = UnitDirs(
    persistent="/etc/systemd/system",
    runtime="/run/systemd/system",
    outranking=(
        "/etc/systemd/system.control",
        "/run/systemd/system.control",
        "/run/systemd/transient",
        "/run/systemd/generator.early",
    ),
    vendor=(
        "/usr/local/lib/systemd/system",
        "/usr/lib/systemd/system",
        # Debian 11 has not merged /lib into /usr/lib.
        "/lib/systemd/system",
    ),
)

MASK_TARGET = "/dev/null"

# The `mask` value reported for each combination of (persistent, runtime) layers.
_MASK_NAMES = {
    (False, False): "none",
    (False, True): "runtime",
    (True, False): "persistent",
    (True, True): "both",
}

# Active states in which a unit still has to be stopped.
RUNNING_STATES = ("active", "activating", "deactivating", "reloading", "refreshing")

SHOW_PROPERTIES = ("Id", "LoadState", "ActiveState", "UnitFileState", "FragmentPath", "TriggeredBy")

DirEntry = namedtuple("DirEntry", ["path", "kind", "target", "mtime"])
"""What sits at a unit's name in one directory.

``kind`` is ``missing``, ``mask`` (a link to /dev/null), ``link`` (a link elsewhere)
or ``file``; ``target`` is the link's target, if any; ``mtime`` the time the entry
was last changed (seconds since the epoch), if it exists.
"""
DirEntry.__new__.__defaults__ = (None,)


class UnitState(namedtuple("UnitState", [
    "unit", "load_state", "active_state", "unit_file_state", "fragment_path",
    "persistent", "runtime", "triggered_by",
])):
    """One unit's state.

    ``persistent`` and ``runtime`` are the DirEntry at the unit's name in the
    persistent and runtime UnitDirs. ``fragment_path`` is the file systemd loaded
    the unit from; for a masked unit, the mask that wins. ``active_state`` is None
    for templates, which never run themselves, and where no manager runs. In a
    predicted state, a field only systemd can tell after the change is None.
    ``triggered_by`` are the sockets, paths and timers that can start the unit.
    """

    __slots__ = ()

    @property
    def mask(self):
        return _MASK_NAMES[(self.persistent.kind == "mask", self.runtime.kind == "mask")]

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


def read_dir_entry(directory, unit):
    """Return the DirEntry for ``unit`` in ``directory``; never follows the link."""
    path = os.path.join(directory, unit)
    try:
        mtime = os.lstat(path).st_mtime
    except FileNotFoundError:
        return DirEntry(path, "missing", None)
    try:
        target = os.readlink(path)
    except OSError:
        # Exists but is not a link: a unit file, or something else in the way.
        return DirEntry(path, "file", None, mtime)
    # systemctl writes "/dev/null"; a relative link that lands there masks as well.
    if os.path.normpath(os.path.join(directory, target)) == MASK_TARGET:
        return DirEntry(path, "mask", target, mtime)
    return DirEntry(path, "link", target, mtime)


def list_masks(directory):
    """Names of the units masked by a link to /dev/null in ``directory``."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    return [name for name in names if read_dir_entry(directory, name).kind == "mask"]


def state_from_show(unit, block, persistent, runtime):
    """Build the UnitState of ``unit`` from one parsed `systemctl show` block.

    The unit is given, not taken from the block's Id: for an alias a package
    ships, systemd answers with the unit it names.
    """
    return UnitState(
        unit=unit,
        load_state=block.get("LoadState", ""),
        active_state=block.get("ActiveState", ""),
        unit_file_state=block.get("UnitFileState", ""),
        fragment_path=block.get("FragmentPath", ""),
        persistent=persistent,
        runtime=runtime,
        triggered_by=tuple(block.get("TriggeredBy", "").split()),
    )


def state_from_files(unit, unit_file_state, persistent, runtime):
    """Build a UnitState from the unit files alone, for a template (which
    `systemctl show` cannot read) or where no manager runs.

    Its load state follows from the masks on disk and what systemd lists for its
    unit file (a unit masked through an alias, or by a package, is listed as
    masked); whether it runs is unknown (None).
    """
    if persistent.kind == "mask" or runtime.kind == "mask" or (unit_file_state or "").startswith("masked"):
        load_state = "masked"
    elif unit_file_state:
        load_state = "loaded"
    else:
        load_state = "not-found"
    return UnitState(
        unit=unit,
        load_state=load_state,
        active_state=None,
        unit_file_state=unit_file_state or "",
        fragment_path="",
        persistent=persistent,
        runtime=runtime,
        triggered_by=(),
    )
