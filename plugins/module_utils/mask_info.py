# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Report what is masked, where, and since when. Reads only."""

from __future__ import annotations

import datetime

from ansible_collections.sysguard.systemd.plugins.module_utils.masking import read_units
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import (
    InvalidUnitName,
    parse_unit_name,
    parse_unit_names,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import (
    list_masks,
    parse_list_unit_files,
    read_dir_entry,
)


def gather_mask_info(systemctl, scope, names=None):
    """Return the module result for ``names``, or for every masked unit if None.

    Raises InvalidUnitNames for bad names and SystemctlError if systemd cannot
    be read.
    """
    if names is None:
        unit_names, skipped = _masked_unit_names(systemctl, scope.dirs)
    else:
        unit_names, skipped = parse_unit_names(names), []
    states = read_units(systemctl, unit_names, scope) if unit_names else []

    units = {}
    for unit_name, state in zip(unit_names, states):
        units[unit_name.unit] = describe_unit(state, scope.dirs)
    return {
        "changed": False,
        "units": units,
        "masked": [name for name, info in units.items() if info["load_state"] == "masked"],
        "not_masked": [name for name, info in units.items() if info["load_state"] != "masked"],
        "skipped": skipped,
    }


def describe_unit(state, dirs):
    """One unit's entry: systemd's view, its mask layer and every mask link."""
    layers = (("persistent", state.persistent), ("runtime", state.runtime))
    links = [_link(entry, layer) for layer, entry in layers if entry.kind == "mask"]
    if state.load_state == "masked" and not links:
        links = _vendor_links(state.unit, dirs)
    return {
        "unit": state.unit,
        "load_state": state.load_state,
        "active_state": state.active_state,
        "unit_file_state": state.unit_file_state,
        "mask": state.mask,
        "links": links,
    }


def _masked_unit_names(systemctl, dirs):
    """Every unit masked by a link in the scope's directories or by a package.

    Returns (unit names, names on disk that are not valid unit names).
    """
    found = set(list_masks(dirs.persistent)) | set(list_masks(dirs.runtime))
    listed = parse_list_unit_files(systemctl.list_unit_files_by_state(("masked", "masked-runtime")))
    found.update(listed)
    unit_names, skipped = [], []
    for name in sorted(found):
        try:
            unit_names.append(parse_unit_name(name))
        except InvalidUnitName:
            skipped.append(name)
    return unit_names, skipped


def _vendor_links(unit, dirs):
    for directory in dirs.vendor:
        entry = read_dir_entry(directory, unit)
        if entry.kind == "mask":
            return [_link(entry, "vendor")]
    return []


def _link(entry, layer):
    return {
        "path": entry.path,
        "layer": layer,
        "target": entry.target,
        "since": _timestamp(entry.mtime),
    }


def _timestamp(mtime):
    if mtime is None:
        return None
    moment = datetime.datetime.fromtimestamp(mtime, tz=datetime.timezone.utc)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")
