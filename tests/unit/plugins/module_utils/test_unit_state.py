from __future__ import annotations

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import SYSTEM_SEARCH_PATH, Entry, UnitTree
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import (
    UnitState,
    parse_list_unit_files,
    parse_show,
    unit_file_state_of,
)

SHOW_OUTPUT = """Id=cron.service
LoadState=masked
ActiveState=active
FragmentPath=/run/systemd/system/cron.service
UnitFileState=masked-runtime

Id=ssh.service
LoadState=loaded
ActiveState=active
FragmentPath=/lib/systemd/system/ssh.service
UnitFileState=enabled

Id=nope.service
LoadState=not-found
ActiveState=inactive
FragmentPath=
UnitFileState=
"""


def test_show_output_gives_one_block_per_unit_in_order():
    blocks = parse_show(SHOW_OUTPUT)
    assert [b["Id"] for b in blocks] == ["cron.service", "ssh.service", "nope.service"]
    assert blocks[0]["UnitFileState"] == "masked-runtime"
    assert blocks[2]["FragmentPath"] == ""


def test_show_output_keeps_values_with_equal_signs():
    assert parse_show("Id=a.service\nDescription=x=y\n") == [{"Id": "a.service", "Description": "x=y"}]


def test_list_unit_files_output():
    output = "getty@.service enabled enabled\nserial-getty@.service disabled enabled\n"
    assert parse_list_unit_files(output) == {
        "getty@.service": "enabled",
        "serial-getty@.service": "disabled",
    }


def _entry(kind):
    if kind == "missing":
        return None
    return Entry("a.service", "/x", "persistent", kind, "/dev/null" if kind == "mask" else None, None, None)


def test_mask_names_every_layer_combination():
    def state(persistent, runtime):
        return UnitState("a.service", "masked", "inactive", _entry(persistent), _entry(runtime), None)

    assert state("missing", "missing").mask == "none"
    assert state("mask", "missing").mask == "persistent"
    assert state("missing", "mask").mask == "runtime"
    assert state("mask", "mask").mask == "both"
    assert state("file", "missing").mask == "none"


def _tree(*entries):
    tree = UnitTree(SYSTEM_SEARCH_PATH, {})
    for entry in entries:
        tree = tree.with_entry(entry)
    return tree


def test_loaded_from_is_the_path_the_lookup_loads_the_unit_from():
    mask = Entry("a.service", "/run/systemd/system", "runtime", "mask", "/dev/null", "/dev/null", None)
    vendor = Entry("a.service", "/usr/lib/systemd/system", "vendor", "file", None, None, None)
    tree = _tree(mask, vendor)
    state = UnitState("a.service", "masked", "inactive", None, mask, tree.lookup("a.service"))
    assert state.loaded_from == "/run/systemd/system/a.service"
    unmasked = _tree(vendor)
    assert state._replace(lookup=unmasked.lookup("a.service")).loaded_from == "/usr/lib/systemd/system/a.service"
    assert state._replace(lookup=_tree().lookup("a.service")).loaded_from is None


def test_unit_file_state_is_optional_and_left_out_of_the_summary():
    state = UnitState("a.service", "loaded", "active", None, None, None)
    assert state.unit_file_state is None
    assert state.summary() == {"load_state": "loaded", "active_state": "active", "mask": "none"}
    listed = state._replace(unit_file_state="enabled")
    assert listed.summary() == state.summary()


@pytest.mark.parametrize(("active", "running"), [
    ("active", True), ("activating", True), ("deactivating", True), ("reloading", True),
    ("inactive", False), ("failed", False), (None, False),
])
def test_running_states(active, running):
    assert UnitState("a.service", "loaded", active, None, None, None).is_running is running


def test_unit_file_state_of_a_mask_is_where_the_winning_mask_is():
    vendor = Entry("a.service", "/usr/lib/systemd/system", "vendor", "file", None, None, None)
    runtime = Entry("a.service", "/run/systemd/system", "runtime", "mask", "/dev/null", "/dev/null", None)
    persistent = runtime._replace(directory="/etc/systemd/system", layer="persistent")
    assert unit_file_state_of(_tree(vendor, runtime).lookup("a.service"), "enabled") == "masked-runtime"
    assert unit_file_state_of(_tree(vendor, runtime, persistent).lookup("a.service"), "masked-runtime") == "masked"
    assert unit_file_state_of(_tree(vendor).lookup("a.service"), "enabled") == "enabled"
    assert unit_file_state_of(_tree().lookup("a.service"), None) == ""
