from __future__ import annotations

import os
import re

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.mask_info import gather_mask_info
from ansible_collections.sysguard.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.sysguard.systemd.plugins.module_utils.errors import ModuleFailure

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
BUSCTL = ["--system", "--json=short", "--", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
          "org.freedesktop.systemd1.Manager", "ListUnitsByNames", "as"]
LIST_UNIT_FILES = ["list-unit-files", "--no-legend", "--full", "--"]


def busctl(units):
    return BUSCTL + [str(len(units))] + list(units)


def info(fake, names=None):
    scope = fake.scope()
    return gather_mask_info(Systemctl(fake, scope), scope, names)


def test_without_names_every_mask_is_reported_with_its_links(fake_systemd):
    fake_systemd.install("cron.service", active="active")
    fake_systemd.place_mask("cron.service", "runtime")
    fake_systemd.place_mask("telnet.socket", "persistent")
    fake_systemd.place_mask("telnet.socket", "runtime")
    fake_systemd.place_vendor_mask("x11-common.service")
    os.symlink("/lib/systemd/system/ssh.service", os.path.join(fake_systemd.dirs.persistent, "sshd.service"))

    result = info(fake_systemd)

    assert sorted(result["units"]) == ["cron.service", "telnet.socket", "x11-common.service"]
    assert result["masked"] == ["cron.service", "telnet.socket", "x11-common.service"]
    assert result["not_masked"] == []
    cron = result["units"]["cron.service"]
    assert (cron["mask"], cron["load_state"], cron["active_state"]) == ("runtime", "masked", "active")
    assert cron["unit_file_state"] == "masked-runtime"
    assert result["units"]["telnet.socket"]["unit_file_state"] == "masked"
    assert [(link["layer"], link["path"]) for link in cron["links"]] == [
        ("runtime", "/run/systemd/system/cron.service")]
    assert TIMESTAMP.match(cron["links"][0]["since"])
    assert [link["layer"] for link in result["units"]["telnet.socket"]["links"]] == ["persistent", "runtime"]
    assert result["units"]["telnet.socket"]["mask"] == "both"
    vendor = result["units"]["x11-common.service"]
    assert (vendor["mask"], vendor["load_state"], vendor["unit_file_state"]) == ("none", "masked", "masked")
    assert vendor["links"][0]["layer"] == "vendor"


def test_all_reads_are_batched(fake_systemd):
    for number in range(20):
        fake_systemd.place_mask("u%02d.service" % number, "persistent")
    info(fake_systemd)
    # The masks are found in the unit directories; the manager is asked once,
    # and list-unit-files once for the unit file states.
    units = ["u%02d.service" % number for number in range(20)]
    assert fake_systemd.calls == [busctl(units), LIST_UNIT_FILES + units]


def test_named_units_are_reported_masked_or_not(fake_systemd):
    fake_systemd.install("cups.service")
    fake_systemd.place_mask("telnet.socket", "persistent")
    result = info(fake_systemd, ["telnet.socket", "cups", "rsh.socket"])
    assert list(result["units"]) == ["telnet.socket", "cups.service", "rsh.socket"]
    assert result["masked"] == ["telnet.socket"]
    assert result["not_masked"] == ["cups.service", "rsh.socket"]
    assert result["units"]["rsh.socket"]["load_state"] == "not-found"
    assert result["units"]["cups.service"]["links"] == []
    assert result["units"]["cups.service"]["unit_file_state"] == "enabled"
    assert result["units"]["rsh.socket"]["unit_file_state"] == ""
    units = ["telnet.socket", "cups.service", "rsh.socket"]
    assert fake_systemd.calls == [busctl(units), LIST_UNIT_FILES + units]


def test_nothing_masked_reads_no_units(fake_systemd):
    result = info(fake_systemd)
    assert result["units"] == {} and result["masked"] == []


def test_invalid_names_are_refused(fake_systemd):
    with pytest.raises(ModuleFailure) as failure:
        info(fake_systemd, ["ok", "not ok"])
    assert "'not ok'" in failure.value.msg
    assert fake_systemd.calls == []


def test_templates_are_not_asked_of_the_manager_but_listed(fake_systemd):
    fake_systemd.install("getty@.service", file_state="enabled")
    fake_systemd.place_unit_file("getty@.service")
    result = info(fake_systemd, ["getty@.service", "getty@tty1"])
    assert fake_systemd.calls == [busctl(["getty@tty1.service"]),
                                  LIST_UNIT_FILES + ["getty@.service", "getty@tty1.service"]]
    template = result["units"]["getty@.service"]
    assert (template["load_state"], template["active_state"], template["unit_file_state"]) == (
        "loaded", None, "enabled")


def test_without_busctl_the_manager_is_asked_with_show(fake_systemd):
    fake_systemd.install("cron.service", active="active")
    fake_systemd.place_mask("cron.service", "persistent")
    with_bus = info(fake_systemd)
    fake_systemd.calls.clear()
    fake_systemd.busctl = False
    assert info(fake_systemd) == with_bus
    assert fake_systemd.calls == [["show", "--property=Id,LoadState,ActiveState", "--", "cron.service"],
                                  LIST_UNIT_FILES + ["cron.service"]]


def test_an_instance_without_a_file_of_its_own_reports_its_templates_file_state(fake_systemd):
    fake_systemd.install("worker@.service", file_state="indirect")
    fake_systemd.place_unit_file("worker@.service")
    result = info(fake_systemd, ["worker@a.service", "worker@.service"])
    assert fake_systemd.calls[-1] == LIST_UNIT_FILES + ["worker@a.service", "worker@.service"]
    assert result["units"]["worker@a.service"]["unit_file_state"] == "indirect"
    assert result["units"]["worker@.service"]["unit_file_state"] == "indirect"


def test_an_audit_reads_the_named_units_and_every_other_mask_in_one_batch(fake_systemd):
    fake_systemd.install("cups.service", active="active")
    fake_systemd.install("sssd.service", active="active", file_state="enabled")
    fake_systemd.reverse["cups.service"] = {"RequiredBy": ["sssd.service"]}
    fake_systemd.place_mask("stray.service", "runtime")
    fake_systemd.place_unit_file("local.service", layer="persistent")
    scope = fake_systemd.scope()
    result = gather_mask_info(Systemctl(fake_systemd, scope), scope, ["cups", "local", "ngnix.service"],
                              all_masks=True, check_names=True, dependents=True,
                              index_loader=lambda: pytest.fail("no os-release: the index is not read"))
    assert list(result["units"]) == ["cups.service", "local.service", "ngnix.service", "stray.service"]
    assert result["units"]["local.service"]["blocked_by"] == {
        "path": "/etc/systemd/system/local.service", "kind": "file", "target": None}
    assert result["units"]["cups.service"]["dependents"] == [
        {"unit": "sssd.service", "dependency": "Requires", "active_state": "active", "unit_file_state": "enabled"}]
    assert result["units"]["ngnix.service"]["name_check"] == {"status": "not_checked"}
    assert result["units"]["cups.service"]["name_check"] == {"status": "installed"}
    assert "name_check" not in result["units"]["stray.service"]
    assert [call[0] for call in fake_systemd.calls] == ["--system", "list-unit-files", "show", "show"]
