"""exclusive: the masks nothing names are removed in the same run, packages' masks never."""

from __future__ import annotations

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.errors import ModuleFailure
from ansible_collections.sysguard.systemd.plugins.module_utils.mask_plan import MaskRequest
from ansible_collections.sysguard.systemd.plugins.module_utils.masking import RequestItem, run_masking
from ansible_collections.sysguard.systemd.plugins.module_utils.systemctl import Systemctl

MASK = MaskRequest("masked", runtime=False, now=False)
MASK_TRIGGERS = MaskRequest("masked", runtime=False, now=False, triggers=True)


def run(fake, names, request=MASK, keep=(), check_mode=False, exclusive=True):
    scope = fake.scope()
    return run_masking(Systemctl(fake, scope), [RequestItem(None, names, request)], scope,
                       check_mode=check_mode, exclusive=exclusive, keep=keep)


@pytest.fixture
def host(fake_systemd):
    fake_systemd.place_mask("cups.service", "persistent")
    fake_systemd.place_mask("stray.service", "persistent")
    fake_systemd.place_mask("stray.service", "runtime")
    fake_systemd.place_mask("window.service", "runtime")
    fake_systemd.place_vendor_mask("x11-common.service")
    return fake_systemd


def test_masks_nothing_names_are_removed_from_every_layer(host):
    result = run(host, ["cups", "inetd"], keep=["window"])
    assert result["exclusive"] == ["stray.service"]
    assert result["masked"] == ["inetd.service"] and result["unmasked"] == ["stray.service"]
    assert not host.has_mask("stray.service", "persistent") and not host.has_mask("stray.service", "runtime")
    assert host.has_mask("window.service", "runtime")
    assert host.has_mask("cups.service", "persistent")
    assert "x11-common.service" in host.vendor_masks
    # One read for the named units, one for the unlisted ones; one unmask, one mask.
    assert [c[0] for c in host.calls] == ["--system", "--system", "unmask", "unmask", "mask", "--system"]


def test_check_mode_lists_what_would_go_and_changes_nothing(host):
    result = run(host, ["cups"], check_mode=True)
    assert result["exclusive"] == ["stray.service", "window.service"]
    assert host.has_mask("stray.service", "persistent")


def test_without_exclusive_other_masks_stay(host):
    result = run(host, ["cups"], exclusive=False)
    assert result["exclusive"] == [] and result["changed"] is False


def test_triggers_brought_in_by_the_call_are_not_unlisted(host):
    host.install("cups.service")
    host.place_mask("cups.socket", "persistent")
    result = run(host, ["cups"], request=MASK_TRIGGERS, keep=["stray", "window"])
    assert result["exclusive"] == []
    assert host.has_mask("cups.socket", "persistent")


def test_an_invalid_keep_name_fails_before_any_change(host):
    with pytest.raises(ModuleFailure) as failure:
        run(host, ["cups"], keep=["bad name"])
    assert "keep" in failure.value.msg
    assert host.has_mask("stray.service", "persistent")
