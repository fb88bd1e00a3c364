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
    # One read for the named units, one for the unlisted ones; one unmask (each
    # layer), one mask, one reload for all of them.
    assert [c[7] if c[0] == "--system" else c[0] for c in host.calls] == [
        "ListUnitsByNames", "ListUnitsByNames", "UnmaskUnitFiles", "UnmaskUnitFiles", "MaskUnitFiles",
        "daemon-reload", "ListUnitsByNames"]


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


def test_a_trigger_of_another_name_is_kept_by_its_file(fake_systemd):
    fake_systemd.place_unit_file("foo-x.socket", content="[Socket]\nListenStream=1\nService=foo.service\n")
    fake_systemd.place_mask("foo-x.socket", "persistent")
    fake_systemd.place_unit_file("bar.timer", content="[Timer]\nOnCalendar=daily\n")
    fake_systemd.place_mask("bar.timer", "persistent")
    result = run(fake_systemd, ["foo"], request=MASK_TRIGGERS)
    assert result["exclusive"] == ["bar.timer"]
    assert fake_systemd.has_mask("foo-x.socket", "persistent")


def test_masks_that_belong_to_named_units_stay(fake_systemd):
    fake_systemd.place_unit_file("real.service")
    import os
    os.symlink("real.service", os.path.join(fake_systemd.dirs.vendor, "alias.service"))
    fake_systemd.place_mask("alias.service", "persistent")
    fake_systemd.place_mask("w@a.service", "runtime")
    result = run(fake_systemd, ["real", "w@.service"])
    assert result["exclusive"] == []
    assert fake_systemd.has_mask("alias.service", "persistent") and fake_systemd.has_mask("w@a.service", "runtime")


def test_a_mask_that_is_not_a_dev_null_link_is_left_with_a_warning(fake_systemd):
    import os
    open(os.path.join(fake_systemd.dirs.persistent, "empty.service"), "w").close()
    fake_systemd.place_mask("stray.service", "persistent")
    result = run(fake_systemd, ["cups"])
    assert result["exclusive"] == ["stray.service"]
    assert result["_warnings"] == ["exclusive mode left the mask of empty.service: /etc/systemd/system/empty.service "
                                   "is an empty file, not a link to /dev/null; remove it by hand if it should go"]
    assert os.path.exists(os.path.join(fake_systemd.dirs.persistent, "empty.service"))


def test_exclusive_with_nothing_named_is_refused(host):
    with pytest.raises(ModuleFailure) as failure:
        run(host, [])
    assert "would remove every mask on the host" in failure.value.msg
    assert host.has_mask("stray.service", "persistent")
