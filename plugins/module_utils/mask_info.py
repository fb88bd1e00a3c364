# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Report what is masked, where, and since when. Reads only."""

from __future__ import annotations

import datetime

from ansible_collections.sysguard.systemd.plugins.module_utils import dependents as dependents_guard
from ansible_collections.sysguard.systemd.plugins.module_utils import name_check
from ansible_collections.sysguard.systemd.plugins.module_utils.errors import ModuleFailure
from ansible_collections.sysguard.systemd.plugins.module_utils.systemctl import SystemctlError
from ansible_collections.sysguard.systemd.plugins.module_utils.trigger_units import triggered_unit
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import (
    InvalidUnitName,
    InvalidUnitNames,
    parse_unit_name,
    parse_unit_names,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_read import ReadError, read_tree, read_units


def gather_mask_info(systemctl, scope, names=None, all_masks=False, check_names=False, dependents=False,
                     index_loader=None):
    """Return the module result for ``names``, or for every masked unit if None.

    With ``names`` and ``all_masks``, every masked unit is reported as well, in
    the same batch (what an audit reads: the baseline and whatever else is
    masked). For the named units, ``check_names`` adds each one's name check
    (see name_check) and ``dependents`` the running or enabled units that
    Require, BindsTo or Requisite it (see dependents; where a manager runs).
    Raises ModuleFailure for bad names and where the units cannot be read.
    """
    try:
        tree = read_tree(scope)
        named = [] if names is None else [u.unit for u in parse_unit_names(names)]
        units, skipped = _masked_units(tree, scope) if names is None or all_masks else ([], [])
        units = _unique(named + units)
        states = read_units(systemctl, scope, units, tree, unit_file_states=True) if units else []
        by_unit = dict((state.unit, state) for state in states)
        found = {}
        if dependents and scope.manager:
            loaded = [u for u in _unique(named) if by_unit[u].load_state != "not-found" and "@." not in u]
            found = dependents_guard.read_dependents(systemctl, loaded, set())
    except (InvalidUnitNames, ReadError, SystemctlError) as exc:
        raise ModuleFailure(str(exc), {"changed": False})

    described = {}
    for state in states:
        described[state.unit] = describe_unit(state)
        starts = triggered_unit(tree, scope, state.unit)
        if starts is not None:
            described[state.unit]["starts"] = starts
    if check_names and named:
        checked = [by_unit[u] for u in _unique(named)]
        installed = dict((s.unit, name_check.is_installed(s, tree, scope)) for s in checked)
        use, index = name_check.IndexUse(False, None, None), None
        if not all(installed.values()):
            use, index = name_check.index_use(name_check.read_os_release(scope.tree), lambda: name_check.index_from(index_loader))
        for check in name_check.check_names(checked, installed, use, index,
                                            "system" if scope.name == "system" else "user"):
            described[check.unit]["name_check"] = name_check.summary(check)
    if dependents:
        for unit in named:
            described[unit]["dependents"] = dependents_guard.summary(found.get(unit, []))
    return {
        "changed": False,
        "units": described,
        "masked": [name for name, info in described.items() if info["load_state"] == "masked"],
        "not_masked": [name for name, info in described.items() if info["load_state"] != "masked"],
        "skipped": skipped,
    }


def _unique(units):
    seen = set()
    return [unit for unit in units if not (unit in seen or seen.add(unit))]


def describe_unit(state):
    """One unit's entry: systemd's view, its mask layer, every mask that applies to
    it, and what keeps a mask from being written at the name, if anything."""
    links = [_link(entry) for entry in (state.persistent, state.runtime)
             if entry is not None and entry.kind == "mask"]
    fragment = state.lookup.fragment
    if state.load_state == "masked" and fragment is not None and fragment.kind == "mask" \
            and fragment.path not in [link["path"] for link in links]:
        # Masked by something other than a mask at its own name: a vendor mask,
        # its template's mask, or the mask of the unit it is an alias of.
        links.append(_link(fragment))
    info = {
        "unit": state.unit,
        "load_state": state.load_state,
        "active_state": state.active_state,
        "unit_file_state": state.unit_file_state,
        "mask": state.mask,
        "links": links,
    }
    if state.lookup.alias_of:
        info["alias_of"] = state.lookup.alias_of
    blocking = state.persistent
    if blocking is not None and blocking.kind != "mask":
        info["blocked_by"] = {"path": blocking.path, "kind": blocking.kind, "target": blocking.link}
    return info


def _masked_units(tree, scope):
    """Every name that systemd's lookup finds masked, or that carries a mask.

    Returns (unit names, names on disk that are not valid unit names).
    """
    units, skipped = [], []
    for name in tree.names():
        own = [tree.entry(d, name) for d in (scope.persistent_dir, scope.runtime_dir)]
        if not tree.lookup(name).masked and not any(e is not None and e.kind == "mask" for e in own):
            continue
        try:
            units.append(parse_unit_name(name).unit)
        except InvalidUnitName:
            skipped.append(name)
    return units, skipped


def _link(entry):
    return {
        "path": entry.path,
        "layer": entry.layer,
        "target": entry.link,
        "since": _timestamp(entry.mtime),
    }


def _timestamp(mtime):
    if mtime is None:
        return None
    moment = datetime.datetime.fromtimestamp(mtime, tz=datetime.timezone.utc)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")
