# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Which unit a socket, path or timer starts, read from its unit file.

A masked trigger no longer shows in its unit's TriggeredBy, so what a masked
trigger belongs to is read from its own file beneath the mask: ``Service=`` of
a socket, ``Unit=`` of a path or timer, or by default the service (the unit,
for a path or timer) of the same name. Reads only inside the scope's tree.
"""

from __future__ import annotations

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import UnitTreeError

# Unit type -> (section, key) naming the unit it starts.
_TRIGGER_KEYS = {"socket": ("Socket", "Service"), "path": ("Path", "Unit"), "timer": ("Timer", "Unit")}


def triggered_unit(tree, scope, unit):
    """The unit that the socket, path or timer ``unit`` starts, or None for another type.

    ``tree`` is the UnitTree read; the administrator's masks at the name are
    looked through to the file beneath them.
    """
    prefix, _dot, unit_type = unit.rpartition(".")
    if unit_type not in _TRIGGER_KEYS:
        return None
    beneath = tree.without_entry(scope.persistent_dir, unit).without_entry(scope.runtime_dir, unit)
    fragment = beneath.lookup(unit).fragment
    declared = None
    if fragment is not None and fragment.kind in ("file", "linked"):
        path = fragment.target if fragment.kind == "linked" else fragment.path
        declared = _declared(scope.tree, path, *_TRIGGER_KEYS[unit_type])
    if declared:
        return declared
    return prefix + ".service"


def _declared(file_tree, path, section, key):
    """The last value of ``key`` in ``section`` of the unit file at tree path ``path``."""
    try:
        with open(file_tree.host_path(file_tree.resolve(path)), encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except (OSError, UnitTreeError):
        return None
    current, value = None, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
        elif current == section and "=" in line and not line.startswith(("#", ";")):
            name, _eq, found = line.partition("=")
            if name.strip() == key:
                value = found.strip() or None
    return value
