from __future__ import annotations

import json
import os

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.mask_plan import MaskRequest
from ansible_collections.sysguard.systemd.plugins.module_utils.errors import ModuleFailure
from ansible_collections.sysguard.systemd.plugins.module_utils.masking import RequestItem, run_masking
from ansible_collections.sysguard.systemd.plugins.module_utils import systemctl as systemctl_module
from ansible_collections.sysguard.systemd.plugins.module_utils.systemctl import Systemctl, systemctl_offline


# The manager's answer for many units in one D-Bus call; `show` where that cannot be had.
MANAGER_CALL = ["--system", "--json=short", "--", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager"]
BUSCTL = MANAGER_CALL + ["ListUnitsByNames", "as"]
# Masks and unmasks go through the manager's own methods where the bus answered the
# read, then one daemon reload (systemctl's --no-reload: none).
RELOAD = ["daemon-reload"]
SHOW = ["show", "--property=Id,LoadState,ActiveState", "--"]
TRIGGERED_BY = ["show", "--property=TriggeredBy", "--"]
MASK = MaskRequest("masked", runtime=False, now=False)
MASK_RUNTIME = MaskRequest("masked", runtime=True, now=False)
MASK_NOW = MaskRequest("masked", runtime=False, now=True)
UNMASK = MaskRequest("unmasked", runtime=False, now=False)
UNMASK_RUNTIME = MaskRequest("unmasked", runtime=True, now=False)


def busctl(*units):
    """The argument list of the busctl read of ``units``."""
    return BUSCTL + [str(len(units))] + list(units)


def masks(*units, runtime=False, force=False):
    """The busctl call of the manager's MaskUnitFiles for ``units``: the module's mask where the bus answers."""
    return MANAGER_CALL + ["MaskUnitFiles", "asbb", str(len(units))] + list(units) + [_flag(runtime), _flag(force)]


def unmasks(*units, runtime=False):
    """The busctl call of the manager's UnmaskUnitFiles for ``units``."""
    return MANAGER_CALL + ["UnmaskUnitFiles", "asb", str(len(units))] + list(units) + [_flag(runtime)]


def _flag(value):
    return "true" if value else "false"


def verbs(fake):
    """What each call run was: "busctl" for a busctl read, the method for a
    change through the bus, else systemctl's command."""
    return [("busctl" if call[7].startswith("List") else call[7]) if call[1:4] == ["--json=short", "--", "call"]
            else call[0] for call in fake.calls]


def run(fake, names, request=MASK, check_mode=False, diff=False, scope=None, protect=()):
    """The plain form: ``name`` with one set of options."""
    return run_items(fake, [RequestItem(None, names, request)], check_mode=check_mode, diff=diff, scope=scope,
                     protect=protect)


def run_items(fake, items, check_mode=False, diff=False, scope=None, protect=()):
    scope = scope or fake.scope()
    return run_masking(Systemctl(fake, scope), items, scope, protect=protect, check_mode=check_mode, diff=diff)


def item(index, names, request):
    """The RequestItem of the module's units[index]."""
    return RequestItem("units[%d]" % index, names, request)


def test_batch_of_units_takes_one_read_one_mask_one_read(fake_systemd):
    names = ["unit%02d" % i for i in range(50)]
    result = run(fake_systemd, names)
    units = [n + ".service" for n in names]
    assert fake_systemd.calls == [busctl(*units), masks(*units), RELOAD, busctl(*units)]
    assert result["changed"] is True
    assert result["masked"] == units
    assert all(fake_systemd.has_mask(u, "persistent") for u in units)


def test_second_run_reads_once_and_changes_nothing(fake_systemd):
    run(fake_systemd, ["cron", "atd"])
    fake_systemd.calls.clear()
    result = run(fake_systemd, ["cron", "atd"])
    assert fake_systemd.calls == [busctl("cron.service", "atd.service")]
    assert result["changed"] is False
    assert (result["masked"], result["unmasked"], result["stopped"]) == ([], [], [])


def test_now_masks_then_stops_only_running_units(fake_systemd):
    fake_systemd.install("cron.service", active="active")
    fake_systemd.install("atd.service", active="inactive")
    fake_systemd.install("old.service", active="active")
    fake_systemd.place_mask("old.service", "persistent")
    result = run(fake_systemd, ["cron", "atd", "old"], MaskRequest("masked", runtime=False, now=True))
    assert fake_systemd.calls[1:] == [
        masks("cron.service", "atd.service"), RELOAD,
        ["stop", "--", "cron.service", "old.service"],
        # old.service was masked already, but stopping it is a change: it is read again.
        busctl("cron.service", "atd.service", "old.service"),
    ]
    assert result["stopped"] == ["cron.service", "old.service"]
    assert result["masked"] == ["cron.service", "atd.service"]
    old = result["units"][2]
    assert old["before"]["active_state"] == "active"
    assert old["after"]["active_state"] == "inactive"


def test_runtime_mask_goes_to_run_and_persistent_mask_satisfies_it(fake_systemd):
    fake_systemd.place_mask("kept.service", "persistent")
    result = run(fake_systemd, ["new", "kept"], MaskRequest("masked", runtime=True, now=False))
    assert fake_systemd.calls[1:] == [masks("new.service", runtime=True), RELOAD, busctl("new.service")]
    assert fake_systemd.has_mask("new.service", "runtime")
    assert not fake_systemd.has_mask("new.service", "persistent")
    assert result["masked"] == ["new.service"]


def test_full_unmask_removes_both_layers_with_one_reload(fake_systemd):
    fake_systemd.place_mask("both.service", "persistent")
    fake_systemd.place_mask("both.service", "runtime")
    fake_systemd.place_mask("rt.service", "runtime")
    result = run(fake_systemd, ["both", "rt", "none"], MaskRequest("unmasked", runtime=False, now=False))
    assert fake_systemd.calls[1:] == [
        unmasks("both.service", "rt.service", runtime=True),
        unmasks("both.service"), RELOAD,
        busctl("both.service", "rt.service"),
    ]
    assert result["unmasked"] == ["both.service", "rt.service"]
    for unit in ("both.service", "rt.service"):
        assert not fake_systemd.has_mask(unit, "persistent")
        assert not fake_systemd.has_mask(unit, "runtime")


def test_runtime_unmask_keeps_persistent_masks(fake_systemd):
    fake_systemd.place_mask("both.service", "persistent")
    fake_systemd.place_mask("both.service", "runtime")
    result = run(fake_systemd, ["both"], MaskRequest("unmasked", runtime=True, now=False))
    assert fake_systemd.calls[1:3] == [unmasks("both.service", runtime=True), RELOAD]
    assert fake_systemd.has_mask("both.service", "persistent")
    assert result["units"][0]["after"]["mask"] == "persistent"
    assert result["units"][0]["after"]["load_state"] == "masked"


def test_check_mode_reports_the_plan_and_runs_only_the_read(fake_systemd):
    fake_systemd.install("cron.service", active="active")
    result = run(fake_systemd, ["cron"], MaskRequest("masked", runtime=False, now=True), check_mode=True, diff=True)
    assert fake_systemd.calls == [busctl("cron.service")]
    assert not fake_systemd.has_mask("cron.service", "persistent")
    assert result["changed"] is True
    assert result["masked"] == ["cron.service"]
    assert result["stopped"] == ["cron.service"]
    assert result["diff"] == [{
        "before_header": "cron.service (before)",
        "after_header": "cron.service (after)",
        "before": "load_state: loaded\nactive_state: active\nmask: none\n",
        "after": "load_state: masked\nactive_state: inactive\nmask: persistent\n",
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
    assert fake_systemd.calls == [busctl("ssh.service"), masks("ssh.service"), RELOAD, busctl("ssh.service")]
    unit = result["units"][0]
    assert (unit["name"], unit["unit"]) == ("sshd", "ssh.service")
    assert unit["link"] == {"path": "/etc/systemd/system/sshd.service", "kind": "alias",
                            "target": "/usr/lib/systemd/system/ssh.service", "action": "follow"}
    fake_systemd.calls.clear()
    result = run(fake_systemd, ["sshd", "ssh"], follow)
    assert result["changed"] is False
    assert [u["unit"] for u in result["units"]] == ["ssh.service", "ssh.service"]
    assert verbs(fake_systemd) == ["busctl"]


def test_alias_link_replaced_masks_only_the_name(fake_systemd):
    fake_systemd.install("reboot.target")
    fake_systemd.place_unit_file("reboot.target")
    fake_systemd.alias("ctrl-alt-del.target", "reboot.target")
    result = run(fake_systemd, ["ctrl-alt-del.target"], MASK._replace(on_link="replace"))
    assert fake_systemd.calls[1:3] == [masks("ctrl-alt-del.target", force=True), RELOAD]
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
    assert fake_systemd.calls == []
    result = run(fake_systemd, ["foo"], MASK._replace(on_link="replace"))
    assert result["masked"] == ["foo.service"]
    assert fake_systemd.has_mask("foo.service", "persistent")
    assert os.path.exists(os.path.join(fake_systemd.root, "opt/app/foo-1.2.service"))


def test_templates_are_read_from_the_lookup_not_the_manager(fake_systemd):
    # The manager refuses a template name; its lookup on disk answers instead.
    fake_systemd.install("getty@.service")
    fake_systemd.place_unit_file("getty@.service")
    result = run(fake_systemd, ["getty@.service", "getty@tty1"])
    assert fake_systemd.calls == [
        busctl("getty@tty1.service"),
        masks("getty@.service", "getty@tty1.service"), RELOAD,
        busctl("getty@tty1.service"),
    ]
    template = result["units"][0]
    assert template["before"] == {"load_state": "loaded", "active_state": None, "mask": "none"}
    assert template["after"] == {"load_state": "masked", "active_state": None, "mask": "persistent"}
    assert result["units"][1]["after"]["load_state"] == "masked"


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
    assert fake_systemd.calls == [busctl("cron.service", "local.service")]
    assert "local.service" in info.value.msg and "a unit file" in info.value.msg
    assert not fake_systemd.has_mask("cron.service", "persistent")


def test_without_a_manager_units_are_read_from_their_files(fake_systemd):
    fake_systemd.install("cron.service", active="active")
    fake_systemd.place_unit_file("cron.service")
    offline = fake_systemd.scope(manager=False, flags=["--root=/srv/image"])
    result = run(fake_systemd, ["cron", "telnet.socket"], scope=offline)
    # Nothing to ask but the files: the only command is the change.
    assert fake_systemd.calls == [
        ["--root=/srv/image", "mask", "--no-reload", "--", "cron.service", "telnet.socket"],
    ]
    assert result["masked"] == ["cron.service", "telnet.socket"]
    assert result["units"][0]["before"] == {"load_state": "loaded", "active_state": None, "mask": "none"}
    assert result["units"][0]["after"] == {"load_state": "masked", "active_state": None, "mask": "persistent"}
    assert result["units"][1]["before"]["load_state"] == "not-found"
    assert result["units"][1]["after"]["load_state"] == "masked"


def test_triggers_are_masked_with_their_units_in_the_same_call(fake_systemd):
    fake_systemd.install("cups.service", active="active")
    fake_systemd.install("cups.socket", active="active")
    fake_systemd.install("cups.path", active="active")
    fake_systemd.triggers["cups.service"] = ["cups.socket", "cups.path"]
    request = MaskRequest("masked", runtime=False, now=True, triggers=True)
    result = run(fake_systemd, ["cups", "atd"], request)
    assert fake_systemd.calls == [
        busctl("cups.service", "atd.service"),
        TRIGGERED_BY + ["cups.service", "atd.service"],
        busctl("cups.socket", "cups.path"),
        masks("cups.service", "atd.service", "cups.socket", "cups.path"), RELOAD,
        ["stop", "--", "cups.service", "cups.socket", "cups.path"],
        busctl("cups.service", "atd.service", "cups.socket", "cups.path"),
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
    # The refused method is asked again of systemctl, which refuses too.
    assert verbs(fake_systemd) == ["busctl", "UnmaskUnitFiles", "UnmaskUnitFiles", "unmask", "daemon-reload",
                                   "busctl"]
    assert fake_systemd.calls[1] == unmasks("a.service", runtime=True)
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
        run(fake_systemd, ["ssh", "cron"], protect=["ssh"])
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
    assert fake_systemd.calls[1:3] == [masks("sshd.service"), RELOAD]
    assert result["units"][0]["link"]["action"] == "override"
    assert os.path.islink(os.path.join(fake_systemd.dirs.runtime, "sshd.service"))


def test_a_failing_first_call_still_reloads_for_what_it_wrote(fake_systemd):
    fake_systemd.fail["mask"] = (1, "", "Failed to mask unit: File exists")
    with pytest.raises(ModuleFailure):
        run(fake_systemd, ["a", "b"])
    assert verbs(fake_systemd) == ["busctl", "MaskUnitFiles", "mask", "daemon-reload", "busctl"]
    assert fake_systemd.calls[-1] == busctl("a.service", "b.service")


def test_a_change_that_cannot_be_read_back_reports_what_was_done(fake_systemd, monkeypatch):
    # Once the mask is made, neither busctl nor its fallback, show, can be read.
    def answer_until_masked(read):
        def answer(*args):
            if ["daemon-reload"] in fake_systemd.calls:
                return 1, "", "Failed to connect to bus"
            return read(*args)
        return answer

    monkeypatch.setattr(fake_systemd, "_busctl", answer_until_masked(fake_systemd._busctl))
    monkeypatch.setattr(fake_systemd, "_show", answer_until_masked(fake_systemd._show))
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["cron"])
    assert verbs(fake_systemd) == ["busctl", "MaskUnitFiles", "daemon-reload", "busctl", "show"]
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
        run(fake_systemd, ["getty@.service"], protect=["getty@tty1.service"])
    assert "getty@.service: protected (through getty@tty1.service)" in info.value.msg


def test_an_invalid_protected_name_is_named_as_such(fake_systemd):
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["cron"], protect=["bad name"])
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
    assert verbs(fake_systemd) == ["busctl"]


# The read: one busctl call, or show where busctl cannot answer.

def _scene(fake):
    fake.install("cron.service", active="active")
    fake.install("atd.service", active="active")
    fake.place_mask("atd.service", "persistent")
    fake.install("rsync.service")
    return ["cron", "atd", "rsync", "telnet.socket"]


def _without_commands(result):
    return dict((key, value) for key, value in result.items() if key != "commands")


def test_the_read_is_one_busctl_call_reported_with_its_path(fake_systemd):
    result = run(fake_systemd, _scene(fake_systemd), MASK_NOW)
    units = ["cron.service", "atd.service", "rsync.service", "telnet.socket"]
    assert fake_systemd.calls == [
        busctl(*units),
        masks("cron.service", "rsync.service", "telnet.socket"), RELOAD,
        ["stop", "--", "cron.service", "atd.service"],
        busctl(*units),
    ]
    assert result["commands"][0] == ["/usr/bin/busctl"] + busctl(*units)
    assert result["commands"][1] == ["/usr/bin/busctl"] + masks("cron.service", "rsync.service", "telnet.socket")
    assert result["commands"][2][0] == "/usr/bin/systemctl"
    assert result["stopped"] == ["cron.service", "atd.service"]


@pytest.mark.parametrize("broken", ["no busctl", "no bus", "not json", "another shape"])
def test_where_busctl_cannot_answer_show_does_with_the_same_result(make_fake, monkeypatch, broken):
    with_bus = make_fake()
    expected = run(with_bus, _scene(with_bus), MASK_NOW)
    fake = make_fake()
    names = _scene(fake)
    if broken == "no busctl":
        fake.busctl = False
    elif broken == "no bus":
        fake.bus = False
    else:
        answer = "Failed to connect" if broken == "not json" else '{"type": "a(ssssssouso)", "data": []}'
        monkeypatch.setattr(fake, "_busctl", lambda argv: (0, answer, ""))
    result = run(fake, names, MASK_NOW)
    assert _without_commands(result) == _without_commands(expected)
    assert all(fake.has_mask(u, "persistent") for u in ("cron.service", "rsync.service", "telnet.socket"))
    units = ["cron.service", "atd.service", "rsync.service", "telnet.socket"]
    # Where the bus did not answer the read, the change goes through systemctl too.
    changes = [["mask", "--", "cron.service", "rsync.service", "telnet.socket"],
               ["stop", "--", "cron.service", "atd.service"]]
    if broken == "no busctl":
        assert fake.calls == [SHOW + units] + changes + [SHOW + units]
    else:
        # busctl was tried, and is reported; show asked the same question.
        assert fake.calls == [busctl(*units), SHOW + units] + changes + [busctl(*units), SHOW + units]
        assert result["commands"][0][0] == "/usr/bin/busctl"
        assert result["commands"][1][0] == "/usr/bin/systemctl"


def test_where_the_bus_names_other_units_the_change_goes_through_systemctl(fake_systemd, monkeypatch):
    # The bus answers, but for other units than the unit files say: its manager
    # is not trusted with the read, nor with the change.
    busctl_answer = fake_systemd._busctl

    def other_units(argv):
        rc, out, err = busctl_answer(argv)
        if argv[7] == "ListUnitsByNames":
            reply = json.loads(out)
            for row in reply["data"][0]:
                row[0] = "other-" + row[0]
            out = json.dumps(reply)
        return rc, out, err

    monkeypatch.setattr(fake_systemd, "_busctl", other_units)
    result = run(fake_systemd, ["cron", "atd"])
    assert verbs(fake_systemd) == ["busctl", "show", "mask", "busctl", "show"]
    assert result["masked"] == ["cron.service", "atd.service"]


def test_a_bus_that_failed_once_in_a_run_is_not_used_for_the_change(fake_systemd, monkeypatch):
    # ListUnitsByPatterns (the dependents guard's question) fails, ListUnitsByNames answers.
    fake_systemd.install("cron.service", active="active")
    fake_systemd.place_unit_file("cron.service")
    busctl_answer = fake_systemd._busctl

    def patterns_fail(argv):
        if argv[7] == "ListUnitsByPatterns":
            return 1, "", "Failed to connect to bus: Connection refused"
        return busctl_answer(argv)

    monkeypatch.setattr(fake_systemd, "_busctl", patterns_fail)
    scope = fake_systemd.scope()
    run_masking(Systemctl(fake_systemd, scope), [RequestItem(None, ["cron"], MASK)], scope, dependents="warn")
    assert "MaskUnitFiles" not in verbs(fake_systemd)
    assert ["mask", "--", "cron.service"] in fake_systemd.calls


def test_a_unit_the_manager_refuses_leaves_the_others_masked_and_systemctl_says_why(fake_systemd):
    # The manager masks what it can and refuses a.service; asked again, systemctl
    # leaves b.service's mask as it is and refuses a.service in its own words.
    fake_systemd.refuse.add("a.service")
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["a", "b", "c"], MASK)
    assert verbs(fake_systemd) == ["busctl", "MaskUnitFiles", "mask", "daemon-reload", "busctl"]
    assert "systemctl mask -- a.service b.service c.service' failed" in info.value.msg
    assert "/etc/systemd/system/a.service already exists" in info.value.msg
    assert info.value.result["masked"] == ["b.service", "c.service"]
    assert fake_systemd.has_mask("b.service", "persistent") and not fake_systemd.has_mask("a.service", "persistent")


def test_a_bus_that_goes_away_during_the_change_leaves_it_to_systemctl(fake_systemd, monkeypatch):
    busctl_answer = fake_systemd._busctl

    def gone_at_the_change(argv):
        if argv[7] in ("MaskUnitFiles", "UnmaskUnitFiles"):
            return 1, "", "Failed to connect to bus: Connection refused"
        return busctl_answer(argv)

    monkeypatch.setattr(fake_systemd, "_busctl", gone_at_the_change)
    result = run_items(fake_systemd, [item(0, ["a", "b"], MASK), item(1, ["c"], MASK_RUNTIME)])
    # The first change fell back to systemctl; the next went there straight.
    assert verbs(fake_systemd) == ["busctl", "MaskUnitFiles", "mask", "mask", "busctl"]
    assert fake_systemd.calls[2:4] == [["mask", "--no-reload", "--", "a.service", "b.service"],
                                       ["mask", "--runtime", "--", "c.service"]]
    assert result["masked"] == ["a.service", "b.service", "c.service"]


@pytest.mark.parametrize(("environ", "same_root", "offline"), [
    ({}, True, False),
    ({}, False, True),  # a chroot: systemctl leaves the manager alone
    ({"SYSTEMD_OFFLINE": "1"}, True, True),
    ({"SYSTEMD_OFFLINE": "no"}, False, False),  # systemctl takes the variable over the chroot
    ({"SYSTEMD_OFFLINE": "maybe"}, False, True),
])
def test_systemctl_offline_is_decided_as_systemctl_decides(environ, same_root, offline):
    assert systemctl_offline(environ, lambda: same_root) is offline


def test_where_systemctl_works_offline_neither_reads_nor_changes_go_through_the_bus(fake_systemd, monkeypatch):
    monkeypatch.setattr(systemctl_module, "systemctl_offline", lambda: True)
    run(fake_systemd, ["cron", "atd"])
    assert verbs(fake_systemd) == ["show", "mask", "show"]


def test_without_busctl_a_second_run_is_one_show(fake_systemd):
    fake_systemd.busctl = False
    run(fake_systemd, ["cron", "atd"])
    fake_systemd.calls.clear()
    assert run(fake_systemd, ["cron", "atd"])["changed"] is False
    assert fake_systemd.calls == [SHOW + ["cron.service", "atd.service"]]


def _short_by_one(read):
    def answer_short(*args):
        rc, out, err = read(*args)
        if args and isinstance(args[0], list) and args[0][:1] == ["--system"]:
            answer = json.loads(out)
            answer["data"][0] = answer["data"][0][:-1]
            return rc, json.dumps(answer), err
        return rc, out.rsplit("\n\n", 1)[0], err
    return answer_short


def test_a_bus_answer_for_other_units_is_asked_again_of_systemctl(fake_systemd, monkeypatch):
    monkeypatch.setattr(fake_systemd, "_busctl", _short_by_one(fake_systemd._busctl))
    result = run(fake_systemd, ["cron", "atd"])
    assert verbs(fake_systemd)[:3] == ["busctl", "show", "mask"]
    assert result["masked"] == ["cron.service", "atd.service"]


def test_a_manager_that_answers_for_other_units_fails_before_any_change(fake_systemd, monkeypatch):
    monkeypatch.setattr(fake_systemd, "_busctl", _short_by_one(fake_systemd._busctl))
    monkeypatch.setattr(fake_systemd, "_show", _short_by_one(fake_systemd._show))
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["cron", "atd"])
    assert "nothing was changed: the manager answered for 1 units, asked for 2" in info.value.msg
    assert verbs(fake_systemd) == ["busctl", "show"]
    assert not fake_systemd.has_mask("cron.service", "persistent")


def test_a_bus_naming_units_the_unit_files_do_not_is_asked_again_of_systemctl(fake_systemd, monkeypatch):
    # Another manager on the bus (an inherited bus address) knows cron as something else.
    read = fake_systemd._busctl

    def other_manager(argv):
        rc, out, err = read(argv)
        answer = json.loads(out)
        answer["data"][0][0][0] = "other.service"
        answer["data"][0][0][3] = "inactive"
        return rc, json.dumps(answer), err

    fake_systemd.install("cron.service", active="active")
    monkeypatch.setattr(fake_systemd, "_busctl", other_manager)
    result = run(fake_systemd, ["cron"], MaskRequest("masked", now=True))
    assert verbs(fake_systemd)[:2] == ["busctl", "show"]
    assert result["stopped"] == ["cron.service"]


@pytest.mark.parametrize("row", ["loaded", ["cron.service", "", 7, "active"], ["cron.service", "", "loadde", "active"]])
def test_a_bus_row_that_is_not_a_unit_falls_back_to_show(fake_systemd, monkeypatch, row):
    monkeypatch.setattr(fake_systemd, "_busctl", lambda argv: (0, json.dumps({"data": [[row]]}), ""))
    fake_systemd.install("cron.service", active="active")
    result = run(fake_systemd, ["cron"])
    assert verbs(fake_systemd)[:2] == ["busctl", "show"]
    assert result["units"][0]["before"]["load_state"] == "loaded"


def test_busctl_is_pointed_at_the_scopes_own_bus(fake_systemd):
    run(fake_systemd, ["cron"])
    # The read and the mask go through the bus, pinned to the scope's own.
    assert verbs(fake_systemd)[:2] == ["busctl", "MaskUnitFiles"]
    assert all(fake_systemd.environments[i]["DBUS_SYSTEM_BUS_ADDRESS"] == "unix:path=/run/dbus/system_bus_socket"
               for i in (0, 1))
    # systemctl reaches the manager itself, as it would without the module.
    assert verbs(fake_systemd)[2] == "daemon-reload"
    assert "DBUS_SYSTEM_BUS_ADDRESS" not in fake_systemd.environments[2]


def test_busctl_reaches_the_user_manager_through_the_users_own_bus(fake_systemd):
    from ansible_collections.sysguard.systemd.plugins.module_utils.scopes import Scope
    plain = fake_systemd.scope(name="user", flags=["--user"])
    user = Scope(*plain[:4], {"XDG_RUNTIME_DIR": "/run/user/1000"}, *plain[5:])
    run(fake_systemd, ["pipewire.socket"], scope=user)
    # The read and the mask both: the mask goes to the manager that answered the read.
    assert verbs(fake_systemd)[:2] == ["busctl", "MaskUnitFiles"]
    for call, environment in list(zip(fake_systemd.calls, fake_systemd.environments))[:2]:
        assert call[0] == "--user"
        assert environment["DBUS_SESSION_BUS_ADDRESS"] == "unix:path=/run/user/1000/bus"


def test_the_user_manager_is_asked_on_the_user_bus(fake_systemd):
    user = fake_systemd.scope(name="user", flags=["--user"])
    result = run(fake_systemd, ["pulseaudio"], scope=user)
    assert fake_systemd.calls == [
        ["--user"] + busctl("pulseaudio.service")[1:],
        ["--user"] + masks("pulseaudio.service")[1:],
        ["--user", "daemon-reload"],
        ["--user"] + busctl("pulseaudio.service")[1:],
    ]
    assert result["masked"] == ["pulseaudio.service"]


def test_mask_results_leave_the_unit_file_state_out(fake_systemd):
    fake_systemd.install("cron.service", file_state="enabled")
    result = run(fake_systemd, ["cron"], diff=True)
    assert set(result["units"][0]["before"]) == {"load_state", "active_state", "mask"}
    assert set(result["units"][0]["after"]) == {"load_state", "active_state", "mask"}
    assert "list-unit-files" not in verbs(fake_systemd)
    assert "unit_file_state" not in result["diff"][0]["before"] + result["diff"][0]["after"]


# After the change: only what changed is read again.

def test_only_the_units_that_change_are_read_again(fake_systemd):
    fake_systemd.install("b.service", active="active")
    fake_systemd.place_mask("b.service", "persistent")
    fake_systemd.place_mask("d.service", "runtime")
    result = run(fake_systemd, ["a", "b", "c", "d"], MASK_RUNTIME)
    assert fake_systemd.calls == [
        busctl("a.service", "b.service", "c.service", "d.service"),
        masks("a.service", "c.service", runtime=True), RELOAD,
        busctl("a.service", "c.service"),
    ]
    assert [u["changed"] for u in result["units"]] == [True, False, True, False]
    unchanged = result["units"][1]
    assert unchanged["after"] == unchanged["before"] == {
        "load_state": "masked", "active_state": "active", "mask": "persistent"}
    assert result["masked"] == ["a.service", "c.service"]


def test_a_run_with_nothing_to_change_is_one_read(fake_systemd):
    fake_systemd.place_mask("a.service", "persistent")
    fake_systemd.place_mask("b.service", "runtime")
    result = run_items(fake_systemd, [item(0, ["a"], MASK), item(1, ["b"], MASK_RUNTIME), item(2, ["c"], UNMASK)])
    assert fake_systemd.calls == [busctl("a.service", "b.service", "c.service")]
    assert result["changed"] is False
    assert all(u["before"] == u["after"] for u in result["units"])


# Items: each with its own options, in one run.

def _mixed_scene(fake):
    fake.place_mask("g.service", "persistent")
    fake.place_mask("d.service", "persistent")
    fake.place_mask("e.service", "runtime")
    fake.install("f.service", active="active")
    return [
        item(0, ["a", "b", "g"], MASK),
        item(1, ["c"], MASK_RUNTIME),
        item(2, ["d", "e"], UNMASK),
        item(3, ["f"], MASK_NOW),
    ]


def test_items_with_different_options_are_one_read_one_call_per_action_one_read(fake_systemd):
    result = run_items(fake_systemd, _mixed_scene(fake_systemd))
    assert fake_systemd.calls == [
        busctl("a.service", "b.service", "g.service", "c.service", "d.service", "e.service", "f.service"),
        unmasks("e.service", runtime=True),
        unmasks("d.service"),
        masks("a.service", "b.service", "f.service"),
        masks("c.service", runtime=True), RELOAD,
        ["stop", "--", "f.service"],
        # g.service was masked already: it is not read again.
        busctl("a.service", "b.service", "c.service", "d.service", "e.service", "f.service"),
    ]
    assert result["changed"] is True
    assert result["masked"] == ["a.service", "b.service", "c.service", "f.service"]
    assert result["unmasked"] == ["d.service", "e.service"]
    assert result["stopped"] == ["f.service"]
    assert [u["after"]["mask"] for u in result["units"]] == [
        "persistent", "persistent", "persistent", "runtime", "none", "none", "persistent"]
    assert fake_systemd.has_mask("c.service", "runtime") and not fake_systemd.has_mask("c.service", "persistent")
    assert fake_systemd.active["f.service"] == "inactive"


def test_check_mode_with_items_changes_nothing_and_reports_the_plan(make_fake):
    real = make_fake()
    applied = run_items(real, _mixed_scene(real), diff=True)
    fake = make_fake()
    result = run_items(fake, _mixed_scene(fake), check_mode=True, diff=True)
    assert fake.calls == [busctl("a.service", "b.service", "g.service", "c.service", "d.service", "e.service",
                                 "f.service")]
    assert not any(fake.has_mask(u, "persistent") or fake.has_mask(u, "runtime") for u in "abcf")
    assert fake.has_mask("d.service", "persistent") and fake.has_mask("e.service", "runtime")
    assert fake.active["f.service"] == "active"
    for key in ("changed", "masked", "unmasked", "stopped", "triggers"):
        assert result[key] == applied[key], key
    assert [u["changed"] for u in result["units"]] == [u["changed"] for u in applied["units"]]
    assert [u["after"]["mask"] for u in result["units"]] == [u["after"]["mask"] for u in applied["units"]]
    assert [d["before_header"] for d in result["diff"]] == [d["before_header"] for d in applied["diff"]]


def test_a_unit_in_two_items_with_different_options_is_refused_naming_both(fake_systemd):
    items = [item(0, ["cron", "atd"], MASK), item(1, ["rsync", "cron.service"], MASK_RUNTIME)]
    with pytest.raises(ModuleFailure) as info:
        run_items(fake_systemd, items)
    assert ("cron.service: asked twice with different options: masked (as cron), and masked at runtime "
            "(as cron.service)") in info.value.msg
    assert "nothing was changed" in info.value.msg
    assert verbs(fake_systemd) == ["busctl"]
    assert not any(fake_systemd.has_mask(u, layer) for u in ("cron.service", "atd.service", "rsync.service")
                   for layer in ("persistent", "runtime"))


def test_an_alias_and_its_unit_in_two_items_must_agree(fake_systemd):
    fake_systemd.install("ssh.service", active="active")
    fake_systemd.place_unit_file("ssh.service")
    fake_systemd.alias("sshd.service", "ssh.service")
    fake_systemd.place_mask("ssh.service", "runtime")
    items = [item(0, ["sshd"], MASK._replace(on_link="follow")), item(1, ["ssh"], UNMASK)]
    with pytest.raises(ModuleFailure) as info:
        run_items(fake_systemd, items)
    assert "ssh.service: asked twice with different options: masked (through sshd), and unmasked (as ssh)" \
        in info.value.msg
    assert verbs(fake_systemd) == ["busctl"]
    assert fake_systemd.has_mask("ssh.service", "runtime")


def test_a_unit_in_two_items_with_the_same_options_is_planned_once(fake_systemd):
    items = [item(0, ["cron"], MASK), item(1, ["cron.service", "atd"], MASK._replace(on_link="follow"))]
    result = run_items(fake_systemd, items)
    assert [c for c in fake_systemd.calls if "MaskUnitFiles" in c] == [masks("cron.service", "atd.service")]
    assert [(u["name"], u["unit"], u["changed"]) for u in result["units"]] == [
        ("cron", "cron.service", True), ("cron.service", "cron.service", True), ("atd", "atd.service", True)]
    assert result["masked"] == ["cron.service", "atd.service"]


def test_problems_of_items_are_pointed_at_their_item_before_anything_is_read(fake_systemd):
    items = [item(0, ["cron"], MASK), item(1, ["getty@.service"], MASK_NOW), item(2, ["atd", "bad name"], MASK)]
    with pytest.raises(ModuleFailure) as info:
        run_items(fake_systemd, items)
    assert fake_systemd.calls == []
    assert "units[2]: invalid unit name" in info.value.msg and "'bad name'" in info.value.msg
    assert "units[1] getty@.service: a template never runs itself" in info.value.msg
    assert "units[0]" not in info.value.msg
    assert info.value.result["changed"] is False


def test_options_that_do_not_apply_are_pointed_at_their_item(fake_systemd):
    offline = fake_systemd.scope(manager=False, flags=["--root=/srv/image"])
    items = [item(0, ["cron"], MASK), item(1, ["atd"], MASK_RUNTIME), item(2, ["rsync"], UNMASK._replace(now=True))]
    with pytest.raises(ModuleFailure) as info:
        run_items(fake_systemd, items, scope=offline)
    assert "units[1] runtime: runtime=true masks in /run/systemd/system" in info.value.msg
    assert "units[2] now: now=true stops units, which only applies with state=masked" in info.value.msg
    assert fake_systemd.calls == []


def _cups(fake):
    fake.install("cups.service", active="active")
    fake.install("cups.socket", active="active")
    fake.install("avahi-daemon.service")
    fake.install("avahi-daemon.socket")
    fake.triggers["cups.service"] = ["cups.socket"]
    fake.triggers["avahi-daemon.service"] = ["avahi-daemon.socket"]


def test_triggers_are_taken_for_the_item_that_asks_them_with_its_request(fake_systemd):
    _cups(fake_systemd)
    items = [item(0, ["cups"], MASK_NOW._replace(triggers=True)), item(1, ["avahi-daemon"], MASK_RUNTIME)]
    result = run_items(fake_systemd, items)
    assert fake_systemd.calls == [
        busctl("cups.service", "avahi-daemon.service"),
        TRIGGERED_BY + ["cups.service"],
        busctl("cups.socket"),
        masks("cups.service", "cups.socket"),
        masks("avahi-daemon.service", runtime=True), RELOAD,
        ["stop", "--", "cups.service", "cups.socket"],
        busctl("cups.service", "avahi-daemon.service", "cups.socket"),
    ]
    assert result["triggers"] == ["cups.socket"]
    assert result["units"][2]["trigger_of"] == ["cups.service"]
    assert result["stopped"] == ["cups.service", "cups.socket"]
    assert fake_systemd.has_mask("cups.socket", "persistent") and not fake_systemd.has_mask("cups.socket", "runtime")
    assert not any(fake_systemd.has_mask("avahi-daemon.socket", layer) for layer in ("persistent", "runtime"))


def test_a_trigger_takes_a_runtime_request_too(fake_systemd):
    _cups(fake_systemd)
    items = [item(0, ["cups"], MASK), item(1, ["avahi-daemon"], MASK_RUNTIME._replace(triggers=True))]
    result = run_items(fake_systemd, items)
    assert result["triggers"] == ["avahi-daemon.socket"]
    assert fake_systemd.has_mask("avahi-daemon.socket", "runtime")
    assert not fake_systemd.has_mask("avahi-daemon.socket", "persistent")
    assert not fake_systemd.has_mask("cups.socket", "persistent")
    assert "stop" not in verbs(fake_systemd)


def test_a_trigger_two_items_ask_different_things_of_is_refused_naming_both(fake_systemd):
    _cups(fake_systemd)
    fake_systemd.install("cups-browsed.service")
    fake_systemd.triggers["cups-browsed.service"] = ["cups.socket"]
    items = [item(0, ["cups"], MASK._replace(triggers=True)),
             item(1, ["cups-browsed"], MASK_RUNTIME._replace(triggers=True))]
    with pytest.raises(ModuleFailure) as info:
        run_items(fake_systemd, items)
    assert ("cups.socket: asked twice with different options: masked (as a trigger of cups.service), and "
            "masked at runtime (as a trigger of cups-browsed.service)") in info.value.msg
    assert "mask" not in verbs(fake_systemd)


def test_protect_applies_to_the_masks_of_every_item(fake_systemd):
    items = [item(0, ["cron"], MASK), item(1, ["ssh"], MASK_RUNTIME)]
    with pytest.raises(ModuleFailure) as info:
        run_items(fake_systemd, items, protect=["ssh"])
    assert "ssh.service: protected" in info.value.msg
    assert "cron.service" not in info.value.msg
    assert verbs(fake_systemd) == ["busctl"]
    assert not fake_systemd.has_mask("cron.service", "persistent")
    fake_systemd.place_mask("ssh.service", "runtime")
    result = run_items(fake_systemd, [item(0, ["cron"], MASK), item(1, ["ssh"], UNMASK)], protect=["ssh"])
    assert (result["masked"], result["unmasked"]) == (["cron.service"], ["ssh.service"])


def test_an_instance_whose_template_is_unmasked_is_read_again_and_verified(fake_systemd):
    # The instance has no mask of its own: it was masked through its template.
    fake_systemd.install("getty@.service")
    fake_systemd.place_unit_file("getty@.service")
    fake_systemd.place_mask("getty@.service", "persistent")
    items = [item(0, ["getty@.service"], UNMASK), item(1, ["getty@tty1"], UNMASK_RUNTIME)]
    result = run_items(fake_systemd, items)
    assert fake_systemd.calls == [
        busctl("getty@tty1.service"),
        unmasks("getty@.service"), RELOAD,
        busctl("getty@tty1.service"),
    ]
    instance = result["units"][1]
    assert instance["before"] == {"load_state": "masked", "active_state": "inactive", "mask": "none"}
    assert instance["after"] == {"load_state": "loaded", "active_state": "inactive", "mask": "none"}
    assert instance["changed"] is True
    assert result["unmasked"] == ["getty@.service"]


def test_an_instance_whose_template_is_masked_is_read_again_and_verified(fake_systemd):
    fake_systemd.install("getty@.service")
    fake_systemd.place_unit_file("getty@.service")
    items = [item(0, ["getty@.service"], MASK), item(1, ["getty@tty1"], UNMASK_RUNTIME)]
    result = run_items(fake_systemd, items)
    assert fake_systemd.calls[-1] == busctl("getty@tty1.service")
    assert result["units"][1]["after"]["load_state"] == "masked"
    assert result["masked"] == ["getty@.service"]


def test_an_instance_that_stays_masked_through_its_template_fails_verification(fake_systemd, monkeypatch):
    # systemctl says it removed the template's mask; the instance still loads masked.
    fake_systemd.place_unit_file("getty@.service")
    fake_systemd.install("getty@.service")
    fake_systemd.place_mask("getty@.service", "persistent")
    monkeypatch.setattr(fake_systemd, "_unmask", lambda options, units: (0, "", ""))
    with pytest.raises(ModuleFailure) as info:
        run_items(fake_systemd, [item(0, ["getty@.service", "getty@tty1"], UNMASK)])
    assert "did not take effect" in info.value.msg
    assert "getty@tty1.service: systemd still loads the unit as masked" in info.value.msg


def test_a_trigger_shared_by_two_items_asking_the_same_is_taken_once(fake_systemd):
    fake_systemd.install("cups.service")
    fake_systemd.install("cups-browsed.service")
    fake_systemd.install("cups.socket")
    fake_systemd.triggers["cups.service"] = ["cups.socket"]
    fake_systemd.triggers["cups-browsed.service"] = ["cups.socket"]
    # on_link differs, but asks nothing different of a trigger.
    items = [item(0, ["cups"], MASK._replace(triggers=True)),
             item(1, ["cups-browsed"], MASK._replace(triggers=True, on_link="follow"))]
    result = run_items(fake_systemd, items)
    assert result["triggers"] == ["cups.socket"]
    assert [u["trigger_of"] for u in result["units"] if "trigger_of" in u] == [["cups.service", "cups-browsed.service"]]


def test_a_trigger_named_in_another_item_with_other_options_is_refused(fake_systemd):
    fake_systemd.install("cups.service")
    fake_systemd.install("cups.socket")
    fake_systemd.triggers["cups.service"] = ["cups.socket"]
    items = [item(0, ["cups"], MASK._replace(triggers=True)), item(1, ["cups.socket"], MASK_RUNTIME)]
    with pytest.raises(ModuleFailure) as info:
        run_items(fake_systemd, items)
    assert "cups.socket: asked twice with different options" in info.value.msg
    assert not fake_systemd.has_mask("cups.service", "persistent")


def test_a_trigger_named_in_another_item_asked_the_same_is_acted_on_once(fake_systemd):
    fake_systemd.install("cups.service")
    fake_systemd.install("cups.socket")
    fake_systemd.triggers["cups.service"] = ["cups.socket"]
    items = [item(0, ["cups"], MASK._replace(triggers=True)), item(1, ["cups.socket"], MASK)]
    result = run_items(fake_systemd, items)
    assert result["masked"] == ["cups.service", "cups.socket"]
    assert [u["unit"] for u in result["units"]] == ["cups.service", "cups.socket"]


def test_a_unit_named_twice_is_asked_of_the_manager_once(fake_systemd):
    items = [item(0, ["cron"], MASK), item(1, ["cron.service"], MASK)]
    run_items(fake_systemd, items)
    reads = [call for call in fake_systemd.calls if call[0] == "--system" and call[7] == "ListUnitsByNames"]
    assert reads and all(call[9:] == ["1", "cron.service"] for call in reads)


def test_unmask_where_the_manager_still_loads_a_removed_mask_is_refused(fake_systemd):
    fake_systemd.install("cron.service")
    fake_systemd.place_mask("cron.service", "persistent")
    fake_systemd.stale_masked.add("cron.service")  # the manager has not been reloaded
    os.unlink(os.path.join(fake_systemd.dirs.persistent, "cron.service"))
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, ["cron"], UNMASK)
    assert "cron.service: it has no mask on disk any more, but the manager still loads it as masked" in info.value.msg


def test_an_instance_unmasked_while_another_item_masks_its_template_names_the_contradiction(fake_systemd):
    fake_systemd.place_unit_file("worker@.service")
    items = [item(0, ["worker@.service"], MASK), item(1, ["worker@a.service"], UNMASK)]
    with pytest.raises(ModuleFailure) as info:
        run_items(fake_systemd, items)
    assert ("worker@a.service: it would be masked by /etc/systemd/system/worker@.service, which another "
            "item of this call asks for") in info.value.msg
    assert not fake_systemd.has_mask("worker@.service", "persistent")
