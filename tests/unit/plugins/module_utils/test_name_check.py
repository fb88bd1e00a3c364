"""Names to mask checked against the host and the unit index (unknown_names)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils import name_check
from ansible_collections.sysguard.systemd.plugins.module_utils.errors import ModuleFailure
from ansible_collections.sysguard.systemd.plugins.module_utils.mask_plan import MaskRequest
from ansible_collections.sysguard.systemd.plugins.module_utils.masking import RequestItem, run_masking
from ansible_collections.sysguard.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_index import UnitIndex

MASK = MaskRequest("masked", runtime=False, now=False)
UNMASK = MaskRequest("unmasked", runtime=False, now=False)
BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'


def small_index():
    """bookworm = bit 1, trixie = bit 2."""
    return UnitIndex({
        "format": 1,
        "releases": [{"release": "bookworm"}, {"release": "trixie"}],
        "system_unit": {
            "nginx.service": [[3, "nginx-common"]],
            "named.service": [[3, "bind9"]],
            "getty@.service": [[3, "systemd"]],
            "newonly.service": [[2, "newpkg"]],
        },
        "system_dropin": {"bind9.service": [[3, "freedombox"]]},
        "user_unit": {"pipewire.socket": [[3, "pipewire"]]},
    })


class Loader:
    """Counts how often the index is asked for."""

    def __init__(self):
        self.loads = 0

    def __call__(self):
        self.loads += 1
        return small_index()


@pytest.fixture
def debian(fake_systemd):
    write_os_release(fake_systemd, BOOKWORM)
    return fake_systemd


def write_os_release(fake, text):
    os.makedirs(os.path.join(fake.root, "etc"), exist_ok=True)
    with open(os.path.join(fake.root, "etc/os-release"), "w") as handle:
        handle.write(text)


def run(fake, names, mode="warn", request=MASK, loader=None, check_mode=False, items=None):
    scope = fake.scope()
    items = items or [RequestItem(None, names, request)]
    return run_masking(Systemctl(fake, scope), items, scope, check_mode=check_mode,
                       unknown_names=mode, index_loader=loader or Loader())


def test_a_typo_is_masked_and_reported_with_the_closest_name(debian):
    result = run(debian, ["ngnix.service"])
    assert result["unknown"] == ["ngnix.service"]
    assert result["units"][0]["name_check"] == {"status": "unknown", "suggestions": ["nginx.service"]}
    assert "ngnix.service (did you mean nginx.service?)" in result["_warnings"][0]
    assert result["unit_index"] == {"used": True, "release": "bookworm", "reason": None}
    assert debian.has_mask("ngnix.service", "persistent")


def test_fail_mode_changes_nothing_and_names_the_typo(debian):
    with pytest.raises(ModuleFailure) as failure:
        run(debian, ["ngnix", "nginx.service"], mode="fail")
    assert "nothing was changed" in failure.value.msg
    assert "ngnix (did you mean nginx.service?)" in failure.value.msg
    assert failure.value.result["unknown"] == ["ngnix"]
    assert [call[0] for call in debian.calls] == ["--system"]  # the read only
    assert not debian.has_mask("ngnix.service", "persistent")
    assert not debian.has_mask("nginx.service", "persistent")


def test_installed_names_need_neither_os_release_nor_the_index(debian):
    debian.install("cron.service")
    debian.place_unit_file("cron.service")
    loader = Loader()
    result = run(debian, ["cron"], loader=loader)
    assert result["units"][0]["name_check"] == {"status": "installed"}
    assert result["unknown"] == []
    assert "unit_index" not in result
    assert loader.loads == 0


def test_a_name_a_package_ships_is_packaged_not_unknown(debian):
    result = run(debian, ["nginx.service", "getty@tty1.service"])
    assert [u["name_check"]["status"] for u in result["units"]] == ["packaged", "packaged"]
    assert result["units"][0]["name_check"]["packages"] == {"bookworm": ["nginx-common"]}  # the host's release
    assert result["unknown"] == []


def test_a_name_only_another_release_ships_is_still_known(debian):
    result = run(debian, ["newonly.service"])
    assert result["units"][0]["name_check"] == {"status": "packaged", "packages": {"trixie": ["newpkg"]}}


def test_a_name_a_package_ships_a_dropin_for_is_referenced(debian):
    result = run(debian, ["bind9.service"])
    assert result["units"][0]["name_check"] == {
        "status": "referenced", "packages": {"bookworm": ["freedombox"]}}
    assert result["unknown"] == []


def test_a_masked_typo_stays_a_typo(debian):
    debian.place_mask("ngnix.service", "persistent")
    debian.place_mask("ngnix.service", "runtime")
    result = run(debian, ["ngnix.service"])
    assert result["changed"] is False
    assert result["unknown"] == ["ngnix.service"]


def test_a_vendor_mask_and_a_sysv_script_count_as_installed(debian):
    debian.place_vendor_mask("vendorthing.service")
    os.makedirs(os.path.join(debian.root, "etc/init.d"))
    with open(os.path.join(debian.root, "etc/init.d/oldd"), "w") as handle:
        handle.write("#!/bin/sh\n")
    result = run(debian, ["vendorthing.service", "oldd.service"])
    # No SysV generator (systemd 258 and later): the script makes no unit.
    assert [u["name_check"]["status"] for u in result["units"]] == ["installed", "unknown"]
    os.makedirs(os.path.join(debian.root, "usr/lib/systemd/system-generators"))
    with open(os.path.join(debian.root, "usr/lib/systemd/system-generators/systemd-sysv-generator"), "w"):
        pass
    result = run(debian, ["vendorthing.service", "oldd.service"])
    assert [u["name_check"]["status"] for u in result["units"]] == ["installed", "installed"]


def test_on_a_host_that_is_not_debian_nothing_is_called_unknown(fake_systemd):
    write_os_release(fake_systemd, 'ID=fedora\nPRETTY_NAME="Fedora Linux 41"\n')
    result = run(fake_systemd, ["ngnix.service"])
    assert result["unknown"] == []
    assert result["units"][0]["name_check"] == {"status": "not_checked"}
    assert result["unit_index"]["used"] is False
    assert "Fedora Linux 41" in result["unit_index"]["reason"]


def test_without_os_release_the_host_is_not_taken_for_debian(fake_systemd):
    result = run(fake_systemd, ["ngnix.service"], mode="fail")
    assert result["units"][0]["name_check"] == {"status": "not_checked"}


def test_a_debian_release_the_index_does_not_hold_reads_every_release(debian):
    write_os_release(debian, "ID=debian\nVERSION_CODENAME=duke\n")
    result = run(debian, ["ngnix.service"])
    assert result["unit_index"] == {"used": True, "release": None, "reason": None}
    assert result["unknown"] == ["ngnix.service"]


def test_unmasks_and_ignore_are_not_checked(debian):
    loader = Loader()
    result = run(debian, ["ngnix.service"], request=UNMASK, loader=loader)
    assert "name_check" not in result["units"][0] and result["unknown"] == []
    result = run(debian, ["ngnix.service"], mode="ignore", loader=loader)
    assert "name_check" not in result["units"][0] and result["unknown"] == []
    assert loader.loads == 0


def test_check_mode_reports_unknown_names_too(debian):
    result = run(debian, ["ngnix.service"], check_mode=True)
    assert result["unknown"] == ["ngnix.service"]
    assert not debian.has_mask("ngnix.service", "persistent")


def test_the_user_scope_is_checked_against_the_user_units():
    checks = name_check.check_names(
        [_State("pipewire.socket"), _State("pipewier.socket")],
        {"pipewire.socket": False, "pipewier.socket": False},
        name_check.IndexUse(True, "bookworm", None), small_index(), index_scope="user")
    assert [c.status for c in checks] == ["packaged", "unknown"]
    assert checks[1].suggestions == ["pipewire.socket"]


def test_the_message_names_each_unknown_name_as_asked():
    checks = [name_check.NameCheck("ngnix.service", "unknown", {}, ["nginx.service"]),
              name_check.NameCheck("journald.service", "unknown", {}, []),
              name_check.NameCheck("cron.service", "installed", {}, [])]
    message = name_check.unknown_message(checks, {"ngnix.service": "ngnix"})
    assert message.startswith("unknown unit names,")
    assert "ngnix (did you mean nginx.service?); journald.service (no close name known)" in message
    assert name_check.unknown_message(checks[2:], {}) is None


class _State:
    def __init__(self, unit):
        self.unit = unit


def test_an_instance_of_a_masked_typo_template_is_still_unknown(debian):
    debian.place_mask("gety@.service", "persistent")
    result = run(debian, ["gety@tty1.service"])
    assert result["unknown"] == ["gety@tty1.service"]
    assert result["units"][0]["name_check"]["suggestions"] == ["getty@tty1.service"]
