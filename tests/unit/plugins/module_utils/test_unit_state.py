from __future__ import annotations

import os

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import (
    DirEntry,
    UnitState,
    list_masks,
    parse_list_unit_files,
    state_from_show,
    parse_show,
    read_dir_entry,
    state_from_files,
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


def test_show_block_gives_the_units_triggers():
    block = {"Id": "cups.service", "LoadState": "loaded", "TriggeredBy": "cups.socket cups.path"}
    state = state_from_show("cups.service", block, DirEntry("/e", "missing", None), DirEntry("/r", "missing", None))
    assert state.triggered_by == ("cups.socket", "cups.path")
    assert state.unit == "cups.service"


def test_show_output_keeps_values_with_equal_signs():
    assert parse_show("Id=a.service\nDescription=x=y\n") == [{"Id": "a.service", "Description": "x=y"}]


def test_list_unit_files_output():
    output = "getty@.service enabled enabled\nserial-getty@.service disabled enabled\n"
    assert parse_list_unit_files(output) == {
        "getty@.service": "enabled",
        "serial-getty@.service": "disabled",
    }


def test_dir_entries_tell_masks_from_files_and_links(tmp_path):
    directory = str(tmp_path)
    os.symlink("/dev/null", os.path.join(directory, "masked.service"))
    os.symlink("../../../../dev/null", os.path.join(directory, "relative.service"))
    os.symlink("/lib/systemd/system/ssh.service", os.path.join(directory, "sshd.service"))
    with open(os.path.join(directory, "local.service"), "w") as handle:
        handle.write("[Service]\nExecStart=/bin/true\n")
    os.symlink("/nonexistent", os.path.join(directory, "dangling.service"))

    assert read_dir_entry(directory, "masked.service").kind == "mask"
    alias = read_dir_entry(directory, "sshd.service")
    assert alias[:3] == (os.path.join(directory, "sshd.service"), "link", "/lib/systemd/system/ssh.service")
    assert alias.mtime == os.lstat(alias.path).st_mtime
    assert read_dir_entry(directory, "local.service").kind == "file"
    assert read_dir_entry(directory, "dangling.service").kind == "link"
    assert read_dir_entry(directory, "absent.service") == DirEntry(
        os.path.join(directory, "absent.service"), "missing", None, None)


def test_list_masks_finds_only_links_to_dev_null(tmp_path):
    os.symlink("/dev/null", str(tmp_path / "b.service"))
    os.symlink("/dev/null", str(tmp_path / "a.socket"))
    os.symlink("/lib/systemd/system/x.service", str(tmp_path / "alias.service"))
    (tmp_path / "unit.service").write_text("")
    (tmp_path / "multi-user.target.wants").mkdir()
    assert list_masks(str(tmp_path)) == ["a.socket", "b.service"]
    assert list_masks(str(tmp_path / "absent")) == []


def test_relative_link_to_dev_null_is_a_mask(tmp_path):
    # depth does not matter: ".." stops at "/"
    os.symlink("../" * 12 + "dev/null", str(tmp_path / "r.service"))
    assert read_dir_entry(str(tmp_path), "r.service").kind == "mask"


def _entry(kind):
    return DirEntry("/x", kind, "/dev/null" if kind == "mask" else None)


def test_mask_names_every_layer_combination():
    def state(persistent, runtime):
        return UnitState("a.service", "masked", "inactive", "masked", "", _entry(persistent), _entry(runtime), ())

    assert state("missing", "missing").mask == "none"
    assert state("mask", "missing").mask == "persistent"
    assert state("missing", "mask").mask == "runtime"
    assert state("mask", "mask").mask == "both"
    assert state("file", "missing").mask == "none"


def test_state_from_files_comes_from_masks_and_unit_file_state():
    masked = state_from_files("getty@.service", "enabled", _entry("mask"), _entry("missing"))
    assert (masked.load_state, masked.active_state, masked.mask) == ("masked", None, "persistent")
    installed = state_from_files("getty@.service", "enabled", _entry("missing"), _entry("missing"))
    assert installed.load_state == "loaded"
    through_alias = state_from_files("autovt@.service", "masked", _entry("missing"), _entry("missing"))
    assert through_alias.load_state == "masked"
    absent = state_from_files("nope@.service", None, _entry("missing"), _entry("missing"))
    assert (absent.load_state, absent.unit_file_state) == ("not-found", "")
