from __future__ import annotations

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.mask_plan import (
    MaskRequest,
    PlanError,
    UnitChoice,
    check_request,
    plan_masking,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.scopes import Scope
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import (
    SYSTEM_SEARCH_PATH,
    Entry,
    Tree,
    UnitTree,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import parse_unit_name, parse_unit_names
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import UnitState

ETC = "/etc/systemd/system/"
RUN = "/run/systemd/system/"
LIB = "/usr/lib/systemd/system/"
LAYERS = {ETC: "persistent", RUN: "runtime", LIB: "vendor", "/run/systemd/transient/": "transient"}
# What each kind of entry is on disk: (kind, link text).
KINDS = {"mask": ("mask", "/dev/null"), "file": ("file", None), "empty": ("mask", None),
         "link": ("linked", "/opt/app/")}


def entry(directory, name, kind):
    kind, link = KINDS[kind]
    target = link + name if link == "/opt/app/" else link
    return Entry(name, directory.rstrip("/"), LAYERS[directory], kind, target, target, None)


def unit(name, persistent=None, runtime=None, active="inactive", load=None, fragment=None, vendor="file", extra=()):
    """The UnitState of ``name`` and the in-memory tree it was read from."""
    entries = [entry(d, name, k) for d, k in ((ETC, persistent), (RUN, runtime), (LIB, vendor)) if k]
    entries += list(extra)
    tree = UnitTree(SYSTEM_SEARCH_PATH, {})
    for item in entries:
        tree = tree.with_entry(item)
    lookup = tree.lookup(name)
    state = UnitState(
        unit=name,
        load_state=load or lookup.load_state,
        active_state=active,
        unit_file_state="masked" if lookup.masked else "enabled",
        fragment_path=fragment if fragment is not None else (lookup.fragment.path if lookup.fragment else ""),
        persistent=tree.entry(ETC.rstrip("/"), name),
        runtime=tree.entry(RUN.rstrip("/"), name),
        triggered_by=(),
        lookup=lookup,
    )
    return state, tree


def scope(manager=True, name="system", root=None, runtime_lasts=None):
    flags = ["--root=" + root] if root else []
    runtime_lasts = manager if runtime_lasts is None else runtime_lasts
    return Scope(name, SYSTEM_SEARCH_PATH, Tree(root or "/"), flags, {}, manager, runtime_lasts)


def plan(request, *units, **kwargs):
    """plan_masking over units made by unit(), all in one tree."""
    tree = UnitTree(SYSTEM_SEARCH_PATH, {})
    for _state, unit_tree in units:
        for entries in unit_tree.entries.values():
            for item in entries.values():
                tree = tree.with_entry(item)
    choice = kwargs.get("choice")
    choices = [choice or UnitChoice(parse_unit_name(state.unit), state.unit) for state, _tree in units]
    return plan_masking(request, choices, [state for state, _tree in units], tree, kwargs.get("scope", scope()))


def expected(result, unit_name):
    return next(r.expected for r in result.records if r.before.unit == unit_name)


MASK = MaskRequest("masked", runtime=False, now=False)
MASK_RUNTIME = MaskRequest("masked", runtime=True, now=False)
MASK_NOW = MaskRequest("masked", runtime=False, now=True)
UNMASK = MaskRequest("unmasked", runtime=False, now=False)
UNMASK_RUNTIME = MaskRequest("unmasked", runtime=True, now=False)


def actions(result):
    return {k: getattr(result, k) for k in ("mask_persistent", "mask_runtime", "unmask_persistent", "unmask_runtime", "stop")
            if getattr(result, k)}


@pytest.mark.parametrize(("request_", "persistent", "runtime", "expected_actions", "expected_mask"), [
    (MASK, None, None, {"mask_persistent": ["a.service"]}, "persistent"),
    (MASK, "mask", None, {}, "persistent"),
    (MASK, None, "mask", {"mask_persistent": ["a.service"]}, "both"),
    (MASK, "mask", "mask", {}, "both"),
    (MASK_RUNTIME, None, None, {"mask_runtime": ["a.service"]}, "runtime"),
    (MASK_RUNTIME, "mask", None, {}, "persistent"),
    (MASK_RUNTIME, None, "mask", {}, "runtime"),
    (UNMASK, "mask", "mask", {"unmask_persistent": ["a.service"], "unmask_runtime": ["a.service"]}, "none"),
    (UNMASK, None, "mask", {"unmask_runtime": ["a.service"]}, "none"),
    (UNMASK, "mask", None, {"unmask_persistent": ["a.service"]}, "none"),
    (UNMASK, None, None, {}, "none"),
    (UNMASK_RUNTIME, "mask", "mask", {"unmask_runtime": ["a.service"]}, "persistent"),
    (UNMASK_RUNTIME, "mask", None, {}, "persistent"),
    (UNMASK_RUNTIME, None, "mask", {"unmask_runtime": ["a.service"]}, "none"),
])
def test_each_layer_combination(request_, persistent, runtime, expected_actions, expected_mask):
    result = plan(request_, unit("a.service", persistent, runtime))
    assert actions(result) == expected_actions
    assert result.has_changes == bool(expected_actions)
    assert expected(result, "a.service").mask == expected_mask


def test_expected_state_after_masking():
    after = expected(plan(MASK_RUNTIME, unit("a.service", active="active")), "a.service")
    assert (after.load_state, after.unit_file_state, after.active_state) == ("masked", "masked-runtime", "active")


def test_expected_state_after_unmasking_leaves_what_systemd_decides_open():
    after = expected(plan(UNMASK, unit("a.service", "mask")), "a.service")
    assert after.load_state is None
    assert after.unit_file_state is None
    assert after.active_state == "inactive"
    assert after.lookup.load_state == "loaded"


def test_now_stops_running_units_masked_or_not():
    states = [
        unit("new.service", active="active"),
        unit("old.service", persistent="mask", active="active"),
        unit("idle.service", active="inactive"),
        unit("broken.service", active="failed"),
        unit("starting.service", active="activating"),
    ]
    result = plan(MASK_NOW, *states)
    assert result.mask_persistent == ["new.service", "idle.service", "broken.service", "starting.service"]
    assert result.stop == ["new.service", "old.service", "starting.service"]
    assert expected(result, "old.service").active_state == "inactive"


def test_without_now_running_units_are_left_running():
    assert not plan(MASK, unit("a.service", persistent="mask", active="active")).has_changes


def test_alias_and_its_unit_are_planned_once():
    result = plan(MASK, unit("ssh.service"), unit("ssh.service"))
    assert result.mask_persistent == ["ssh.service"]
    assert len(result.records) == 2


@pytest.mark.parametrize("request_", [MASK, MASK_RUNTIME])
def test_unit_file_in_etc_blocks_both_kinds_of_mask(request_):
    with pytest.raises(PlanError) as info:
        plan(request_, unit("ok.service"), unit("local.service", persistent="file"))
    assert list(info.value.problems) == ["local.service"]
    message = info.value.problems["local.service"]
    assert ETC + "local.service" in message
    assert "a unit file" in message
    assert "runtime mask" in message and "/etc/systemd/system outranks /run/systemd/system" in message


def test_link_in_etc_is_named_with_its_target():
    with pytest.raises(PlanError) as info:
        plan(MASK, unit("app.service", persistent="link"))
    assert "a link to /opt/app/app.service" in info.value.problems["app.service"]


def test_file_in_run_blocks_a_runtime_mask_only():
    state = unit("gen.service", runtime="file")
    with pytest.raises(PlanError) as info:
        plan(MASK_RUNTIME, state)
    assert RUN + "gen.service" in info.value.problems["gen.service"]
    assert plan(MASK, state).mask_persistent == ["gen.service"]


def test_existing_mask_is_not_blocked_by_anything():
    assert not plan(MASK_RUNTIME, unit("a.service", persistent="mask", runtime="file")).has_changes


def test_mask_that_is_not_a_link_is_never_removed():
    empty = unit("a.service", persistent="empty")

    with pytest.raises(PlanError) as info:
        plan(UNMASK, empty, unit("b.service", vendor="mask"))
    assert ETC + "a.service is an empty file, which systemd treats as a mask" in info.value.problems["a.service"]
    assert "stay masked by %sb.service (vendor layer)" % LIB in info.value.problems["b.service"]


def test_unmask_that_would_leave_a_vendor_mask_is_refused():
    # Defect: with a mask in /etc and a vendor mask in /lib, unmask passed and
    # the unit stayed masked.
    with pytest.raises(PlanError) as info:
        plan(UNMASK, unit("b.service", persistent="mask", vendor="mask"))
    assert "stay masked by %sb.service" % LIB in info.value.problems["b.service"]


def test_instance_of_a_masked_template_stays_masked_after_its_own_unmask():
    template_mask = entry(ETC, "getty@.service", "mask")
    with pytest.raises(PlanError) as info:
        plan(UNMASK, unit("getty@tty1.service", persistent="mask", vendor=None, extra=[template_mask]))
    assert "a template's mask goes by unmasking the template" in info.value.problems["getty@tty1.service"]


def test_runtime_unmask_does_not_care_about_other_masks():
    state = unit("b.service", runtime="mask", vendor="mask")
    assert plan(UNMASK_RUNTIME, state).unmask_runtime == ["b.service"]


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
    transient = unit("run-x.service", vendor=None, extra=[entry("/run/systemd/transient/", "run-x.service", "file")])
    with pytest.raises(PlanError) as info:
        plan(MASK, transient)
    assert "/run/systemd/transient/run-x.service, which outranks /etc/systemd/system" in info.value.problems["run-x.service"]
    assert plan(UNMASK, transient).has_changes is False


def test_runtime_mask_where_nothing_reads_it_is_refused():
    # Defect: runtime=true without a running systemd created /run/systemd/system.
    for where in (scope(False), scope(False, root="/srv/image")):
        with pytest.raises(PlanError) as info:
            check_request(MASK_RUNTIME, parse_unit_names(["cron"]), where)
        assert "a runtime mask would have no effect" in info.value.problems["runtime"]
    check_request(UNMASK_RUNTIME, parse_unit_names(["cron"]), scope(False))


def test_protected_units_are_refused_through_aliases_templates_and_triggers():
    resolved = unit("systemd-resolved.service", active="active")
    alias = Entry("dbus-org.freedesktop.resolve1.service", ETC.rstrip("/"), "persistent", "alias",
                  "systemd-resolved.service", LIB + "systemd-resolved.service", None)
    alias_state = unit("dbus-org.freedesktop.resolve1.service", vendor=None, extra=[alias])
    tty1 = unit("getty@tty1.service", vendor=None, extra=[entry(LIB, "getty@.service", "file")])
    protect = MASK._replace(protect=["systemd-resolved.service", "getty@.service"])
    with pytest.raises(PlanError) as info:
        plan(protect, resolved, alias_state, tty1)
    problems = info.value.problems
    assert sorted(problems) == ["dbus-org.freedesktop.resolve1.service", "getty@tty1.service", "systemd-resolved.service"]
    assert "through systemd-resolved.service" in problems["dbus-org.freedesktop.resolve1.service"]
    assert "through getty@.service" in problems["getty@tty1.service"]
    trigger = UnitChoice(parse_unit_name("ssh.socket"), "ssh.socket", trigger_of=("ssh.service",))
    with pytest.raises(PlanError) as info:
        plan(MASK._replace(protect=["ssh.socket"]), unit("ssh.socket"), choice=trigger)
    assert "it came in as a trigger of ssh.service" in info.value.problems["ssh.socket"]
    assert plan(UNMASK._replace(protect=["ssh.socket"]), unit("ssh.socket", persistent="mask")).has_changes


def test_a_mask_systemd_does_not_honour_is_not_taken_for_done():
    # The mask link is there, but a transient unit of the same name outranks it.
    transient = unit("run-y.service", persistent="mask", vendor=None,
                     extra=[entry("/run/systemd/transient/", "run-y.service", "file")])
    assert transient[0].load_state == "loaded"
    with pytest.raises(PlanError) as info:
        plan(MASK, transient)
    assert "would still load it from /run/systemd/transient/run-y.service" in info.value.problems["run-y.service"]
