"""The dependents guard: running or enabled units that need a unit to mask."""

from __future__ import annotations

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils import dependents
from ansible_collections.sysguard.systemd.plugins.module_utils.errors import ModuleFailure
from ansible_collections.sysguard.systemd.plugins.module_utils.mask_plan import MaskRequest
from ansible_collections.sysguard.systemd.plugins.module_utils.masking import RequestItem, run_masking
from ansible_collections.sysguard.systemd.plugins.module_utils.systemctl import Systemctl

MASK = MaskRequest("masked", runtime=False, now=False)
MASK_NOW = MaskRequest("masked", runtime=False, now=True)


def run(fake, names, mode="warn", request=MASK, check_mode=False, scope=None):
    scope = scope or fake.scope()
    return run_masking(Systemctl(fake, scope), [RequestItem(None, names, request)], scope,
                       check_mode=check_mode, dependents=mode)


def shows(fake):
    return [call for call in fake.calls if call[0] == "show"]


@pytest.fixture
def identity(fake_systemd):
    """sssd.service requires nslcd.service; cron binds to it but is neither running nor enabled."""
    fake_systemd.install("nslcd.service", active="active")
    fake_systemd.install("sssd.service", active="active", file_state="enabled")
    fake_systemd.install("idle.service", active="inactive", file_state="disabled")
    fake_systemd.install("boot.service", active="inactive", file_state="enabled")
    fake_systemd.reverse["nslcd.service"] = {"RequiredBy": ["sssd.service"], "BoundBy": ["idle.service"],
                                             "RequisiteOf": ["boot.service"]}
    fake_systemd.place_unit_file("nslcd.service")
    return fake_systemd


def test_warn_masks_and_names_each_dependent_that_runs_or_is_enabled(identity):
    result = run(identity, ["nslcd"])
    assert result["masked"] == ["nslcd.service"]
    assert result["dependents"] == {"nslcd.service": ["sssd.service", "boot.service"]}
    assert result["units"][0]["dependents"] == [
        {"unit": "sssd.service", "dependency": "Requires", "active_state": "active", "unit_file_state": "enabled"},
        {"unit": "boot.service", "dependency": "Requisite", "active_state": "inactive", "unit_file_state": "enabled"},
    ]
    assert result["_warnings"] == [
        "masking breaks units that run or are enabled: nslcd is needed by sssd.service (Requires it; active "
        "and enabled), boot.service (Requisite it; enabled). Mask those too, or leave the unit alone; "
        "dependents=ignore masks it anyway"]
    assert len(shows(identity)) == 2


def test_refuse_fails_before_any_change_and_lists_the_dependents(identity):
    with pytest.raises(ModuleFailure) as failure:
        run(identity, ["nslcd.service"], mode="refuse")
    assert failure.value.msg.startswith("nothing was changed: masking breaks units that run or are enabled: "
                                        "nslcd.service is needed by sssd.service")
    assert failure.value.result["dependents"] == {"nslcd.service": ["sssd.service", "boot.service"]}
    assert not identity.has_mask("nslcd.service", "persistent")
    assert [c[0] for c in identity.calls if c[0] in ("mask", "stop")] == []


def test_a_dependent_masked_in_the_same_run_is_not_counted(identity):
    result = run(identity, ["nslcd", "sssd", "boot"], mode="refuse")
    assert result["dependents"] == {}
    assert result["masked"] == ["nslcd.service", "sssd.service", "boot.service"]


def test_ignore_asks_nothing(identity):
    result = run(identity, ["nslcd"], mode="ignore")
    assert shows(identity) == []
    assert "dependents" not in result["units"][0] and result["dependents"] == {}


def test_units_not_loaded_or_already_masked_cost_no_show(fake_systemd):
    fake_systemd.place_mask("cups.service", "persistent")
    fake_systemd.install("idle.service", active="inactive", file_state="disabled")
    fake_systemd.place_unit_file("idle.service")
    fake_systemd.reverse["idle.service"] = {"RequiredBy": ["ghost.service"]}  # never asked: idle was not loaded
    result = run(fake_systemd, ["telnet.socket", "cups.service", "idle.service"], mode="refuse")
    assert shows(fake_systemd) == []
    assert result["dependents"] == {}
    assert result["masked"] == ["telnet.socket", "idle.service"]
    # Asked once whether idle.service, the one unit with a file and no mask, is loaded.
    assert [c[7] for c in fake_systemd.calls if c[0] == "--system"][0] == "ListUnitsByPatterns"
    assert [c for c in fake_systemd.calls if c[0] == "--system" and c[7] == "ListUnitsByPatterns"][0][-1] == "idle.service"


def test_units_without_a_file_or_masked_already_cost_no_question(fake_systemd):
    fake_systemd.place_mask("cups.service", "persistent")
    run(fake_systemd, ["telnet.socket", "cups.service"], mode="refuse")
    assert [c[7] for c in fake_systemd.calls if c[0] == "--system"] == [
        "ListUnitsByNames", "MaskUnitFiles", "ListUnitsByNames"]


def test_without_busctl_list_units_tells_what_is_loaded(identity):
    identity.busctl = False
    identity.active["nslcd.service"] = "failed"  # listed with a marker before its name
    result = run(identity, ["nslcd"], mode="warn")
    assert ["list-units", "--all", "--full", "--plain", "--no-legend", "--", "nslcd.service"] in identity.calls
    assert result["dependents"] == {"nslcd.service": ["sssd.service", "boot.service"]}


def test_no_dependents_is_one_show(identity):
    identity.install("lonely.service", active="active")
    identity.place_unit_file("lonely.service")
    result = run(identity, ["lonely"], mode="refuse")
    assert result["dependents"] == {} and result["_warnings"] == []
    assert len(shows(identity)) == 1


def test_check_mode_reports_dependents_and_changes_nothing(identity):
    result = run(identity, ["nslcd"], check_mode=True)
    assert result["dependents"] == {"nslcd.service": ["sssd.service", "boot.service"]}
    assert not identity.has_mask("nslcd.service", "persistent")


def test_without_a_manager_nothing_is_asked(identity):
    result = run(identity, ["nslcd"], mode="refuse", scope=identity.scope(manager=False))
    assert shows(identity) == [] and result["dependents"] == {}


def test_the_message_says_how_each_dependent_stands():
    found = {"a.service": [dependents.Dependent("b.service", "BindsTo", "activating", "static")]}
    assert dependents.dependents_message(found, {}) == (
        "masking breaks units that run or are enabled: a.service is needed by b.service (BindsTo it; "
        "activating). Mask those too, or leave the unit alone; dependents=ignore masks it anyway")
    assert dependents.dependents_message({}, {}) is None


def test_a_trigger_masked_with_its_unit_is_checked_too(fake_systemd):
    fake_systemd.install("foo.service", active="inactive", file_state="disabled")
    fake_systemd.install("foo-x.socket", active="active", file_state="enabled")
    fake_systemd.place_unit_file("foo.service")
    fake_systemd.place_unit_file("foo-x.socket", content="[Socket]\nListenStream=1\nService=foo.service\n")
    fake_systemd.triggers["foo.service"] = ["foo-x.socket"]
    fake_systemd.install("bar.service", active="active", file_state="enabled")
    fake_systemd.reverse["foo-x.socket"] = {"RequiredBy": ["bar.service"]}
    with pytest.raises(ModuleFailure) as failure:
        run(fake_systemd, ["foo"], mode="refuse", request=MaskRequest("masked", triggers=True))
    assert "foo-x.socket is needed by bar.service" in failure.value.msg


def test_a_dependent_masked_in_the_run_by_an_alias_is_not_counted(identity):
    import os
    identity.place_unit_file("sssd.service")
    identity.place_unit_file("boot.service")
    os.symlink("sssd.service", os.path.join(identity.dirs.vendor, "sssd-alias.service"))
    result = run(identity, ["nslcd", "sssd-alias", "boot"], mode="refuse")
    assert result["dependents"] == {}


def test_in_warn_mode_a_failed_read_warns_and_masks(identity):
    identity.fail["show"] = (1, "", "Failed to connect")
    result = run(identity, ["nslcd"])
    assert result["masked"] == ["nslcd.service"]
    assert result["_warnings"][0].startswith("cannot read what depends on the units to mask, masking them all the same")
