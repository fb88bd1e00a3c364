from __future__ import annotations

import os

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.mask_plan import MaskRequest
from ansible_collections.sysguard.systemd.plugins.module_utils.errors import ModuleFailure
from ansible_collections.sysguard.systemd.plugins.module_utils.masking import run_masking
from ansible_collections.sysguard.systemd.plugins.module_utils.systemctl import Systemctl

SHOW = ["show", "--property=Id,LoadState,ActiveState,UnitFileState,FragmentPath,TriggeredBy", "--"]
MASK = MaskRequest("masked", runtime=False, now=False)


def run(fake, names, request=MASK, check_mode=False, diff=False, scope=None):
    scope = scope or fake.scope()
    return run_masking(Systemctl(fake, scope), names, request, scope, check_mode=check_mode, diff=diff)


def test_batch_of_units_takes_one_read_one_mask_one_read(fake_systemd):
    names = ["unit%02d" % i for i in range(50)]
    result = run(fake_systemd, names)
    units = [n + ".service" for n in names]
    assert fake_systemd.calls == [SHOW + units, ["mask", "--"] + units, SHOW + units]
    assert result["changed"] is True
    assert result["masked"] == units
    assert all(fake_systemd.has_mask(u, "persistent") for u in units)


def test_second_run_reads_once_and_changes_nothing(fake_systemd):
    run(fake_systemd, ["cron", "atd"])
    fake_systemd.calls.clear()
    result = run(fake_systemd, ["cron", "atd"])
    assert fake_systemd.calls == [SHOW + ["cron.service", "atd.service"]]
    assert result["changed"] is False
    assert (result["masked"], result["unmasked"], result["stopped"]) == ([], [], [])


def test_now_masks_then_stops_only_running_units(fake_systemd):
    fake_systemd.install("cron.service", active="active")
    fake_systemd.install("atd.service", active="inactive")
    fake_systemd.install("old.service", active="active")
    fake_systemd.place_mask("old.service", "persistent")
    result = run(fake_systemd, ["cron", "atd", "old"], MaskRequest("masked", runtime=False, now=True))
    assert fake_systemd.calls[1:3] == [
        ["mask", "--", "cron.service", "atd.service"],
        ["stop", "--", "cron.service", "old.service"],
    ]
    assert result["stopped"] == ["cron.service", "old.service"]
    assert result["masked"] == ["cron.service", "atd.service"]
    old = result["units"][2]
    assert old["before"]["active_state"] == "active"
    assert old["after"]["active_state"] == "inactive"


def test_runtime_mask_goes_to_run_and_persistent_mask_satisfies_it(fake_systemd):
    fake_systemd.place_mask("kept.service", "persistent")
    result = run(fake_systemd, ["new", "kept"], MaskRequest("masked", runtime=True, now=False))
    assert fake_systemd.calls[1] == ["mask", "--runtime", "--", "new.service"]
    assert fake_systemd.has_mask("new.service", "runtime")
    assert not fake_systemd.has_mask("new.service", "persistent")
    assert result["masked"] == ["new.service"]


def test_full_unmask_removes_both_layers_with_one_reload(fake_systemd):
    fake_systemd.place_mask("both.service", "persistent")
    fake_systemd.place_mask("both.service", "runtime")
    fake_systemd.place_mask("rt.service", "runtime")
    result = run(fake_systemd, ["both", "rt", "none"], MaskRequest("unmasked", runtime=False, now=False))
    assert fake_systemd.calls[1:3] == [
        ["unmask", "--runtime", "--no-reload", "--", "both.service", "rt.service"],
        ["unmask", "--", "both.service"],
    ]
    assert result["unmasked"] == ["both.service", "rt.service"]
    for unit in ("both.service", "rt.service"):
        assert not fake_systemd.has_mask(unit, "persistent")
        assert not fake_systemd.has_mask(unit, "runtime")


def test_runtime_unmask_keeps_persistent_masks(fake_systemd):
    fake_systemd.place_mask("both.service", "persistent")
    fake_systemd.place_mask("both.service", "runtime")
    result = run(fake_systemd, ["both"], MaskRequest("unmasked", runtime=True, now=False))
    assert fake_systemd.calls[1] == ["unmask", "--runtime", "--", "both.service"]
    assert fake_systemd.has_mask("both.service", "persistent")
    assert result["units"][0]["after"]["mask"] == "persistent"
    assert result["units"][0]["after"]["load_state"] == "masked"


def test_check_mode_reports_the_plan_and_runs_only_the_read(fake_systemd):
    fake_systemd.install("cron.service", active="active")
    result = run(fake_systemd, ["cron"], MaskRequest("masked", runtime=False, now=True), check_mode=True, diff=True)
    assert fake_systemd.calls == [SHOW + ["cron.service"]]
    assert not fake_systemd.has_mask("cron.service", "persistent")
    assert result["changed"] is True
    assert result["masked"] == ["cron.service"]
    assert result["stopped"] == ["cron.service"]
    assert result["diff"] == [{
        "before_header": "cron.service (before)",
        "after_header": "cron.service (after)",
        "before": "load_state: loaded\nactive_state: active\nunit_file_state: enabled\nmask: none\n",
        "after": "load_state: masked\nactive_state: inactive\nunit_file_state: masked\nmask: persistent\n",
    }]


def test_alias_link_at_the_name_is_refused_by_default(fake_systemd):
    fake_systemd.install("ssh.service", active="active")
    fake_systemd.alias("sshd.service", "ssh.service")
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["sshd"])
    assert [c[0] for c in fake_systemd.calls] == []
    message = info.value.msg
    assert "nothing was changed" in message
    assert os.path.join("/etc/systemd/system", "sshd.service") in message
    assert "/usr/lib/systemd/system/ssh.service" in message
    assert "on_link=follow" in message and "on_link=replace" in message
    assert os.path.islink(os.path.join(fake_systemd.dirs.persistent, "sshd.service"))


def test_alias_link_followed_masks_its_unit_and_stays_idempotent(fake_systemd):
    fake_systemd.install("ssh.service", active="active")
    fake_systemd.place_unit_file("ssh.service")
    fake_systemd.alias("sshd.service", "ssh.service")
    follow = MASK._replace(on_link="follow")
    result = run(fake_systemd, ["sshd"], follow)
    assert fake_systemd.calls[1] == ["mask", "--", "ssh.service"]
    unit = result["units"][0]
    assert (unit["name"], unit["unit"]) == ("sshd", "ssh.service")
    assert unit["link"] == {"path": "/etc/systemd/system/sshd.service", "kind": "alias",
                            "target": "/usr/lib/systemd/system/ssh.service", "action": "follow"}
    result = run(fake_systemd, ["sshd", "ssh"], follow)
    assert result["changed"] is False
    assert [u["unit"] for u in result["units"]] == ["ssh.service", "ssh.service"]


def test_alias_link_replaced_masks_only_the_name(fake_systemd):
    fake_systemd.install("reboot.target")
    fake_systemd.place_unit_file("reboot.target")
    fake_systemd.alias("ctrl-alt-del.target", "reboot.target")
    result = run(fake_systemd, ["ctrl-alt-del.target"], MASK._replace(on_link="replace"))
    assert fake_systemd.calls[1] == ["mask", "--force", "--", "ctrl-alt-del.target"]
    assert fake_systemd.has_mask("ctrl-alt-del.target", "persistent")
    assert not fake_systemd.has_mask("reboot.target", "persistent")
    assert result["units"][0]["link"]["action"] == "replace"
    assert result["masked"] == ["ctrl-alt-del.target"]


def test_linked_unit_file_is_refused_even_when_following(fake_systemd, tmp_path):
    # systemctl link /opt/app/foo-1.2.service makes foo.service load from there;
    # masking foo-1.2.service would mask a name nothing uses.
    os.makedirs(os.path.join(fake_systemd.root, "opt/app"))
    with open(os.path.join(fake_systemd.root, "opt/app/foo-1.2.service"), "w") as handle:
        handle.write("[Service]\nExecStart=/bin/true\n")
    os.symlink("../../../opt/app/foo-1.2.service", os.path.join(fake_systemd.dirs.persistent, "foo.service"))
    for on_link in ("refuse", "follow"):
        with pytest.raises(ModuleFailure) as info:
            run(fake_systemd, ["foo"], MASK._replace(on_link=on_link))
        assert "linked unit file" in info.value.msg and "on_link=replace" in info.value.msg
    assert [c[0] for c in fake_systemd.calls if c[0] != "show"] == []
    result = run(fake_systemd, ["foo"], MASK._replace(on_link="replace"))
    assert result["masked"] == ["foo.service"]
    assert fake_systemd.has_mask("foo.service", "persistent")
    assert os.path.exists(os.path.join(fake_systemd.root, "opt/app/foo-1.2.service"))


def test_templates_are_read_with_list_unit_files(fake_systemd):
    fake_systemd.install("getty@.service")
    fake_systemd.place_unit_file("getty@.service")
    result = run(fake_systemd, ["getty@.service", "getty@tty1"])
    assert fake_systemd.calls[:2] == [
        SHOW + ["getty@tty1.service"],
        ["list-unit-files", "--no-legend", "--full", "--", "getty@.service"],
    ]
    assert fake_systemd.calls[2] == ["mask", "--", "getty@.service", "getty@tty1.service"]
    template = result["units"][0]
    assert template["before"] == {"load_state": "loaded", "active_state": None, "unit_file_state": "enabled", "mask": "none"}
    assert template["after"]["load_state"] == "masked"


def test_invalid_names_fail_before_any_command(fake_systemd):
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["cron", "bad name", "-rf"])
    assert fake_systemd.calls == []
    assert "'bad name'" in info.value.msg and "'-rf'" in info.value.msg
    assert info.value.result["changed"] is False


def test_blocking_file_fails_after_the_read_only(fake_systemd):
    fake_systemd.place_unit_file("local.service", layer="persistent")
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["cron", "local"])
    assert [c[0] for c in fake_systemd.calls] == ["show"]
    assert "local.service" in info.value.msg and "a unit file" in info.value.msg
    assert not fake_systemd.has_mask("cron.service", "persistent")


def test_without_a_manager_units_are_read_from_their_files(fake_systemd):
    fake_systemd.install("cron.service", active="active")
    fake_systemd.place_unit_file("cron.service")
    offline = fake_systemd.scope(manager=False, flags=["--root=/srv/image"])
    result = run(fake_systemd, ["cron", "telnet.socket"], scope=offline)
    assert fake_systemd.calls == [
        ["--root=/srv/image", "list-unit-files", "--no-legend", "--full", "--", "cron.service", "telnet.socket"],
        ["--root=/srv/image", "mask", "--no-reload", "--", "cron.service", "telnet.socket"],
        ["--root=/srv/image", "list-unit-files", "--no-legend", "--full", "--", "cron.service", "telnet.socket"],
    ]
    assert result["masked"] == ["cron.service", "telnet.socket"]
    assert result["units"][0]["before"] == {
        "load_state": "loaded", "active_state": None, "unit_file_state": "enabled", "mask": "none"}
    assert result["units"][1]["after"]["load_state"] == "masked"


def test_triggers_are_masked_with_their_units_in_the_same_call(fake_systemd):
    fake_systemd.install("cups.service", active="active")
    fake_systemd.install("cups.socket", active="active")
    fake_systemd.install("cups.path", active="active")
    fake_systemd.triggers["cups.service"] = ["cups.socket", "cups.path"]
    request = MaskRequest("masked", runtime=False, now=True, triggers=True)
    result = run(fake_systemd, ["cups", "atd"], request)
    assert fake_systemd.calls[:4] == [
        SHOW + ["cups.service", "atd.service"],
        SHOW + ["cups.socket", "cups.path"],
        ["mask", "--", "cups.service", "atd.service", "cups.socket", "cups.path"],
        ["stop", "--", "cups.service", "cups.socket", "cups.path"],
    ]
    assert result["triggers"] == ["cups.socket", "cups.path"]
    assert result["units"][2]["trigger_of"] == ["cups.service"]
    assert "trigger_of" not in result["units"][0]


def test_masked_triggers_are_found_on_disk_to_unmask(fake_systemd):
    fake_systemd.install("cups.service")
    fake_systemd.install("cups.socket")
    fake_systemd.triggers["cups.service"] = ["cups.socket"]
    run(fake_systemd, ["cups"], MaskRequest("masked", runtime=False, now=False, triggers=True))
    # Both are masked now, so systemd no longer tells that the socket starts cups.
    result = run(fake_systemd, ["cups"], MaskRequest("unmasked", runtime=False, now=False, triggers=True))
    assert result["unmasked"] == ["cups.service", "cups.socket"]
    assert not fake_systemd.has_mask("cups.socket", "persistent")


def test_failed_stop_still_reports_what_was_masked(fake_systemd):
    fake_systemd.install("cron.service", active="active")
    fake_systemd.fail["stop"] = (1, "", "Job for cron.service canceled.")
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["cron", "atd"], MaskRequest("masked", runtime=False, now=True))
    assert "Job for cron.service canceled" in info.value.msg
    assert "masked cron.service, atd.service" in info.value.msg
    assert info.value.result["changed"] is True
    assert info.value.result["masked"] == ["cron.service", "atd.service"]
    assert info.value.result["stopped"] == []


def test_mask_that_does_not_take_effect_fails_verification(fake_systemd, monkeypatch):
    # systemctl says it succeeded but writes nothing: the second read tells.
    monkeypatch.setattr(fake_systemd, "_mask", lambda options, units: (0, "", ""))
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["cron"])
    assert "did not take effect" in info.value.msg
    assert "cron.service: mask is none, expected persistent" in info.value.msg


def test_alias_shipped_by_a_package_is_masked_under_its_own_name(fake_systemd):
    # ctrl-alt-del.target -> reboot.target in /lib: masking reboot.target
    # would keep the host from rebooting.
    fake_systemd.install("reboot.target")
    fake_systemd.place_unit_file("reboot.target")
    os.symlink("reboot.target", os.path.join(fake_systemd.dirs.vendor, "ctrl-alt-del.target"))
    fake_systemd.aliases["ctrl-alt-del.target"] = "reboot.target"
    result = run(fake_systemd, ["ctrl-alt-del.target"])
    assert result["units"][0]["unit"] == "ctrl-alt-del.target"
    assert result["units"][0]["alias_of"] == "reboot.target"
    assert fake_systemd.has_mask("ctrl-alt-del.target", "persistent")
    assert not fake_systemd.has_mask("reboot.target", "persistent")


def test_a_failed_change_reloads_the_manager_for_the_changes_before_it(fake_systemd, monkeypatch):
    # The runtime unmask ran with --no-reload; the failing call would have reloaded.
    fake_systemd.place_mask("a.service", "persistent")
    fake_systemd.place_mask("a.service", "runtime")
    unmask = fake_systemd._unmask

    def fail_persistent(options, units):
        if "--runtime" in options:
            return unmask(options, units)
        return 1, "", "Access denied"

    monkeypatch.setattr(fake_systemd, "_unmask", fail_persistent)
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["a"], MaskRequest("unmasked", runtime=False, now=False))
    assert [c[0] for c in fake_systemd.calls] == ["show", "unmask", "unmask", "daemon-reload", "show"]
    assert fake_systemd.calls[1] == ["unmask", "--runtime", "--no-reload", "--", "a.service"]
    assert "Access denied" in info.value.msg
    assert info.value.result["unmasked"] == ["a.service"]
    assert info.value.result["units"][0]["after"]["mask"] == "persistent"


def test_unmask_that_leaves_the_unit_masked_fails_verification(fake_systemd, monkeypatch):
    # systemctl says it removed the mask; systemd still loads the unit masked.
    fake_systemd.place_mask("a.service", "persistent")
    monkeypatch.setattr(fake_systemd, "_unmask", lambda options, units: (0, "", ""))
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["a"], MaskRequest("unmasked", runtime=False, now=False))
    assert "did not take effect" in info.value.msg


def test_protected_names_are_checked_as_full_unit_names(fake_systemd):
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["ssh", "cron"], MASK._replace(protect=["ssh"]))
    assert "ssh.service: protected" in info.value.msg
    assert not fake_systemd.has_mask("cron.service", "persistent")


def test_link_to_a_missing_file_is_refused_unless_replaced(fake_systemd):
    os.symlink("/opt/gone.service", os.path.join(fake_systemd.dirs.persistent, "gone.service"))
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["gone"])
    assert "/etc/systemd/system/gone.service is a link to /opt/gone.service, which does not exist" in info.value.msg
    result = run(fake_systemd, ["gone"], MASK._replace(on_link="replace"))
    assert result["masked"] == ["gone.service"]
    assert fake_systemd.has_mask("gone.service", "persistent")


def test_following_an_instance_linked_to_its_template_is_refused(fake_systemd):
    # Following it would mask getty@.service, so every console.
    fake_systemd.place_unit_file("getty@.service")
    os.symlink("/usr/lib/systemd/system/getty@.service", os.path.join(fake_systemd.dirs.persistent, "getty@tty1.service"))
    for on_link in ("refuse", "follow"):
        with pytest.raises(ModuleFailure) as info:
            run(fake_systemd, ["getty@tty1.service"], MASK._replace(on_link=on_link))
        assert "loaded from its template's file" in info.value.msg
        assert "mask getty@.service by its own name to mask every instance" in info.value.msg
    assert not fake_systemd.has_mask("getty@.service", "persistent")
    result = run(fake_systemd, ["getty@tty1.service"], MASK._replace(on_link="replace"))
    assert result["masked"] == ["getty@tty1.service"]
    assert not fake_systemd.has_mask("getty@.service", "persistent")


def test_replacing_an_alias_link_with_now_is_refused(fake_systemd):
    # The name would be masked and stopped, the unit it named would run on.
    fake_systemd.install("gdm3.service", active="active")
    fake_systemd.place_unit_file("gdm3.service")
    fake_systemd.alias("display-manager.service", "gdm3.service")
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["display-manager.service"], MaskRequest("masked", False, True, on_link="replace"))
    assert "would mask the name but leave gdm3.service" in info.value.msg
    assert fake_systemd.active["gdm3.service"] == "active"


def test_alias_in_run_is_overridden_by_a_persistent_mask(fake_systemd):
    fake_systemd.place_unit_file("ssh.service")
    os.symlink("/usr/lib/systemd/system/ssh.service", os.path.join(fake_systemd.dirs.runtime, "sshd.service"))
    result = run(fake_systemd, ["sshd"], MASK._replace(on_link="replace"))
    assert fake_systemd.calls[1] == ["mask", "--", "sshd.service"]
    assert result["units"][0]["link"]["action"] == "override"
    assert os.path.islink(os.path.join(fake_systemd.dirs.runtime, "sshd.service"))


def test_a_failing_first_call_still_reloads_for_what_it_wrote(fake_systemd):
    fake_systemd.fail["mask"] = (1, "", "Failed to mask unit: File exists")
    with pytest.raises(ModuleFailure):
        run(fake_systemd, ["a", "b"])
    assert [c[0] for c in fake_systemd.calls] == ["show", "mask", "daemon-reload", "show"]


def test_a_change_that_cannot_be_read_back_reports_what_was_done(fake_systemd, monkeypatch):
    show = fake_systemd._show

    def show_once(options, units):
        if any(c[0] == "mask" for c in fake_systemd.calls):
            return 1, "", "Failed to connect to bus"
        return show(options, units)

    monkeypatch.setattr(fake_systemd, "_show", show_once)
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["cron"])
    assert "could not be read back" in info.value.msg
    assert info.value.result["changed"] is True
    assert info.value.result["masked"] == ["cron.service"]


def test_template_and_instance_unmasked_together_are_judged_together(fake_systemd):
    fake_systemd.place_unit_file("getty@.service")
    fake_systemd.place_mask("getty@.service", "persistent")
    fake_systemd.place_mask("getty@tty1.service", "persistent")
    result = run(fake_systemd, ["getty@.service", "getty@tty1.service"], MaskRequest("unmasked", False, False))
    assert result["unmasked"] == ["getty@.service", "getty@tty1.service"]
    with pytest.raises(ModuleFailure) as info:
        fake_systemd.place_mask("getty@.service", "persistent")
        fake_systemd.place_mask("getty@tty1.service", "persistent")
        run(fake_systemd, ["getty@tty1.service"], MaskRequest("unmasked", False, False))
    assert "a template's mask goes by unmasking the template" in info.value.msg


def test_perpetual_units_cannot_be_masked(fake_systemd):
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["-.slice", "init.scope", "cron"])
    assert "-.slice: systemd keeps this unit loaded" in info.value.msg
    assert "init.scope: systemd keeps this unit loaded" in info.value.msg
    assert fake_systemd.calls == []


def test_masking_a_template_is_refused_when_an_instance_is_protected(fake_systemd):
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["getty@.service"], MASK._replace(protect=["getty@tty1.service"]))
    assert "getty@.service: protected (through getty@tty1.service)" in info.value.msg


def test_an_invalid_protected_name_is_named_as_such(fake_systemd):
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["cron"], MASK._replace(protect=["bad name"]))
    assert "protect: invalid unit name" in info.value.msg


def test_relative_mask_link_in_a_tree_is_left_to_the_user(fake_systemd):
    # systemctl --root does not remove it; the module says so before changing anything.
    os.symlink("../../../dev/null", os.path.join(fake_systemd.dirs.persistent, "rel.service"))
    tree_scope = fake_systemd.scope(manager=False, flags=["--root=/srv/image"])
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["rel"], MaskRequest("unmasked", False, False), scope=tree_scope)
    assert "'systemctl --root' leaves such a link in place" in info.value.msg


def test_a_link_systemd_skips_still_blocks_the_mask_before_any_change(fake_systemd):
    # A mount unit cannot have aliases: systemd ignores the link, systemctl mask
    # would still fail on it with "File exists", after the other units' masks.
    os.symlink("/usr/lib/systemd/system/bar.mount", os.path.join(fake_systemd.dirs.persistent, "foo.mount"))
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["cron", "foo.mount"])
    assert "/etc/systemd/system/foo.mount already exists and is a link to" in info.value.msg
    assert "which systemd skips" in info.value.msg
    assert [c[0] for c in fake_systemd.calls] == ["show"]
