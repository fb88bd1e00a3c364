from __future__ import annotations

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.mask_plan import (
    MaskRequest,
    PlanError,
    check_request,
    plan_masking,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.scopes import Scope
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import parse_unit_names
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import DirEntry, UnitState

ETC = "/etc/systemd/system/"
RUN = "/run/systemd/system/"


def unit(name, persistent="missing", runtime="missing", active="inactive", load=None, fragment=None, target=None):
    def entry(directory, kind):
        link = {"mask": "/dev/null", "link": target}.get(kind)
        return DirEntry(directory + name, kind, link)

    masked = "mask" in (persistent, runtime)
    return UnitState(
        unit=name,
        load_state=load or ("masked" if masked else "loaded"),
        active_state=active,
        unit_file_state="masked" if masked else "enabled",
        fragment_path=fragment if fragment is not None else (
            ETC + name if persistent == "mask" else RUN + name if runtime == "mask" else "/lib/systemd/system/" + name),
        persistent=entry(ETC, persistent),
        runtime=entry(RUN, runtime),
        triggered_by=(),
    )


MASK = MaskRequest("masked", runtime=False, now=False)
MASK_RUNTIME = MaskRequest("masked", runtime=True, now=False)
MASK_NOW = MaskRequest("masked", runtime=False, now=True)
UNMASK = MaskRequest("unmasked", runtime=False, now=False)
UNMASK_RUNTIME = MaskRequest("unmasked", runtime=True, now=False)


def actions(plan):
    return {k: getattr(plan, k) for k in ("mask_persistent", "mask_runtime", "unmask_persistent", "unmask_runtime", "stop")
            if getattr(plan, k)}


@pytest.mark.parametrize(("request_", "persistent", "runtime", "expected_actions", "expected_mask"), [
    (MASK, "missing", "missing", {"mask_persistent": ["a.service"]}, "persistent"),
    (MASK, "mask", "missing", {}, "persistent"),
    (MASK, "missing", "mask", {"mask_persistent": ["a.service"]}, "both"),
    (MASK, "mask", "mask", {}, "both"),
    (MASK_RUNTIME, "missing", "missing", {"mask_runtime": ["a.service"]}, "runtime"),
    (MASK_RUNTIME, "mask", "missing", {}, "persistent"),
    (MASK_RUNTIME, "missing", "mask", {}, "runtime"),
    (UNMASK, "mask", "mask", {"unmask_persistent": ["a.service"], "unmask_runtime": ["a.service"]}, "none"),
    (UNMASK, "missing", "mask", {"unmask_runtime": ["a.service"]}, "none"),
    (UNMASK, "mask", "missing", {"unmask_persistent": ["a.service"]}, "none"),
    (UNMASK, "missing", "missing", {}, "none"),
    (UNMASK_RUNTIME, "mask", "mask", {"unmask_runtime": ["a.service"]}, "persistent"),
    (UNMASK_RUNTIME, "mask", "missing", {}, "persistent"),
    (UNMASK_RUNTIME, "missing", "mask", {"unmask_runtime": ["a.service"]}, "none"),
])
def test_each_layer_combination(request_, persistent, runtime, expected_actions, expected_mask):
    plan = plan_masking(request_, [unit("a.service", persistent, runtime)])
    assert actions(plan) == expected_actions
    assert plan.has_changes == bool(expected_actions)
    assert plan.expected["a.service"].mask == expected_mask


def test_expected_state_after_masking():
    plan = plan_masking(MASK_RUNTIME, [unit("a.service", active="active")])
    expected = plan.expected["a.service"]
    assert (expected.load_state, expected.unit_file_state, expected.active_state) == ("masked", "masked-runtime", "active")


def test_expected_state_after_unmasking_leaves_what_systemd_decides_open():
    plan = plan_masking(UNMASK, [unit("a.service", "mask")])
    expected = plan.expected["a.service"]
    assert expected.load_state is None
    assert expected.unit_file_state is None
    assert expected.active_state == "inactive"


def test_now_stops_running_units_masked_or_not():
    states = [
        unit("new.service", active="active"),
        unit("old.service", persistent="mask", active="active"),
        unit("idle.service", active="inactive"),
        unit("broken.service", active="failed"),
        unit("starting.service", active="activating"),
    ]
    plan = plan_masking(MASK_NOW, states)
    assert plan.mask_persistent == ["new.service", "idle.service", "broken.service", "starting.service"]
    assert plan.stop == ["new.service", "old.service", "starting.service"]
    assert plan.expected["old.service"].active_state == "inactive"


def test_without_now_running_units_are_left_running():
    plan = plan_masking(MASK, [unit("a.service", persistent="mask", active="active")])
    assert not plan.has_changes


def test_alias_and_its_unit_are_planned_once():
    plan = plan_masking(MASK, [unit("ssh.service"), unit("ssh.service")])
    assert plan.mask_persistent == ["ssh.service"]


@pytest.mark.parametrize("request_", [MASK, MASK_RUNTIME])
def test_unit_file_in_etc_blocks_both_kinds_of_mask(request_):
    with pytest.raises(PlanError) as info:
        plan_masking(request_, [unit("ok.service"), unit("local.service", persistent="file")])
    assert list(info.value.problems) == ["local.service"]
    message = info.value.problems["local.service"]
    assert ETC + "local.service" in message
    assert "a unit file" in message
    assert "runtime mask" in message and "/etc outranks /run" in message


def test_link_in_etc_is_named_with_its_target():
    with pytest.raises(PlanError) as info:
        plan_masking(MASK, [unit("app.service", persistent="link", target="/opt/app/app.service")])
    assert "a link to /opt/app/app.service" in info.value.problems["app.service"]


def test_file_in_run_blocks_a_runtime_mask_only():
    state = unit("gen.service", runtime="file")
    with pytest.raises(PlanError) as info:
        plan_masking(MASK_RUNTIME, [state])
    assert RUN + "gen.service" in info.value.problems["gen.service"]
    assert plan_masking(MASK, [state]).mask_persistent == ["gen.service"]


def test_existing_mask_is_not_blocked_by_anything():
    assert not plan_masking(MASK_RUNTIME, [unit("a.service", persistent="mask", runtime="file")]).has_changes


def test_mask_that_is_not_a_link_is_never_removed():
    empty_file_mask = unit("a.service", persistent="file", load="masked", fragment=ETC + "a.service")
    vendor_mask = unit("b.service", load="masked", fragment="/lib/systemd/system/b.service")
    with pytest.raises(PlanError) as info:
        plan_masking(UNMASK, [empty_file_mask, vendor_mask])
    assert "masked by %sa.service" % ETC in info.value.problems["a.service"]
    assert "masked by /lib/systemd/system/b.service" in info.value.problems["b.service"]


def test_mask_of_unknown_place_on_systemd_247_is_not_removed():
    # systemd 247 reports FragmentPath=/dev/null for any masked unit.
    vendor_mask = unit("b.service", load="masked", fragment="/dev/null")
    with pytest.raises(PlanError) as info:
        plan_masking(UNMASK, [vendor_mask])
    assert "masked by a file elsewhere, which is left alone" in info.value.problems["b.service"]
    ours = unit("a.service", persistent="mask", runtime="mask", fragment="/dev/null")
    assert plan_masking(UNMASK, [ours]).unmask_persistent == ["a.service"]


def test_runtime_unmask_does_not_care_about_other_masks():
    vendor_mask = unit("b.service", runtime="mask", load="masked", fragment="/lib/systemd/system/b.service")
    assert plan_masking(UNMASK_RUNTIME, [vendor_mask]).unmask_runtime == ["b.service"]


def scope(manager=True, name="system", root=None):
    return Scope(name, None, [], {}, manager, root)


def test_now_is_refused_with_unmask_and_with_templates():
    with pytest.raises(PlanError) as info:
        check_request(MaskRequest("unmasked", runtime=False, now=True), parse_unit_names(["cron"]), scope())
    assert "state=masked" in info.value.problems["now"]
    with pytest.raises(PlanError) as info:
        check_request(MASK_NOW, parse_unit_names(["cron", "getty@.service"]), scope())
    assert "getty@INSTANCE.service" in info.value.problems["getty@.service"]
    check_request(MASK_NOW, parse_unit_names(["cron", "getty@tty1"]), scope())


@pytest.mark.parametrize(("where", "reason"), [
    (scope(False, root="/srv/image"), "root=/srv/image is an OS tree that is not running"),
    (scope(False, name="global"), "scope=global is unit files for all users, with no manager of its own"),
    (scope(False), "systemd is not the running service manager on this host"),
])
def test_now_and_triggers_need_a_running_manager(where, reason):
    with pytest.raises(PlanError) as info:
        check_request(MaskRequest("masked", runtime=False, now=True, triggers=True), parse_unit_names(["cron"]), where)
    assert info.value.problems["now"].endswith(reason)
    assert info.value.problems["triggers"].endswith(reason)
    check_request(MASK, parse_unit_names(["cron"]), where)


def test_unit_loaded_from_an_outranking_directory_cannot_be_masked():
    transient = unit("run-x.service", fragment="/run/systemd/transient/run-x.service")
    with pytest.raises(PlanError) as info:
        plan_masking(MASK, [transient], outranking=("/run/systemd/transient",))
    assert "/run/systemd/transient/run-x.service, which outranks /etc/systemd/system" in info.value.problems["run-x.service"]
    assert plan_masking(UNMASK, [transient], outranking=("/run/systemd/transient",)).has_changes is False
