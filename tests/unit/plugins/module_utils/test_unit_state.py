from __future__ import annotations

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import Entry
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import (
    UnitState,
    parse_list_unit_files,
    parse_show,
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
        return UnitState("a.service", "masked", "inactive", "masked", "", _entry(persistent), _entry(runtime), (), None)

    assert state("missing", "missing").mask == "none"
    assert state("mask", "missing").mask == "persistent"
    assert state("missing", "mask").mask == "runtime"
    assert state("mask", "mask").mask == "both"
    assert state("file", "missing").mask == "none"
