from __future__ import annotations

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.mask_plan import (
    MaskRequest,
    PlanError,
    UnitChoice,
    check_request,
    plan_masking,
    trigger_choice,
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


def unit(name, persistent=None, runtime=None, active="inactive", load=None, vendor="file", extra=()):
    """The UnitState of ``name`` and the in-memory tree it was read from.

    A unit systemd loads from elsewhere (a transient unit) is made by an entry
    in that directory in ``extra``: the lookup then finds it there.
    """
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
        persistent=tree.entry(ETC.rstrip("/"), name),
        runtime=tree.entry(RUN.rstrip("/"), name),
        lookup=lookup,
    )
    return state, tree


def scope(manager=True, name="system", root=None, runtime_lasts=None):
    flags = ["--root=" + root] if root else []
    runtime_lasts = manager if runtime_lasts is None else runtime_lasts
    return Scope(name, SYSTEM_SEARCH_PATH, Tree(root or "/"), flags, {}, manager, runtime_lasts)


def merged(units):
    """One tree with the entries of every unit made by unit()."""
    tree = UnitTree(SYSTEM_SEARCH_PATH, {})
    for _state, unit_tree in units:
        for entries in unit_tree.entries.values():
            for item in entries.values():
                tree = tree.with_entry(item)
    return tree


def plan(request, *units, **kwargs):
    """plan_masking over units made by unit(), all in one tree, all asked ``request``."""
    choice = kwargs.get("choice")
    choices = [choice or UnitChoice(parse_unit_name(state.unit), state.unit, request) for state, _tree in units]
    return plan_masking(choices, [state for state, _tree in units], merged(units), kwargs.get("scope", scope()),
                        kwargs.get("protect", ()))


def plan_mixed(*asked, **kwargs):
    """plan_masking over (request, unit()) pairs: each unit asked its own request.

    A third element, where given, is the name the unit was asked by.
    """
    choices = [UnitChoice(parse_unit_name(item[2] if len(item) > 2 else item[1][0].unit), item[1][0].unit, item[0])
               for item in asked]
    units = [item[1] for item in asked]
    return plan_masking(choices, [state for state, _tree in units], merged(units), scope(), kwargs.get("protect", ()))


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
    assert (after.load_state, after.active_state, after.mask) == ("masked", "active", "runtime")
    # The runtime mask is what systemd will load the unit from.
    assert after.loaded_from == RUN + "a.service"
    assert after.lookup.fragment.layer == "runtime"
    assert after.unit_file_state is None


def test_expected_state_after_unmasking_leaves_what_systemd_decides_open():
    after = expected(plan(UNMASK, unit("a.service", "mask")), "a.service")
    assert after.load_state is None
    assert after.active_state == "inactive"
    assert after.lookup.load_state == "loaded"
    assert after.loaded_from == LIB + "a.service"


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
    with pytest.raises(PlanError) as info:
        plan(MASK, resolved, alias_state, tty1, protect=["systemd-resolved.service", "getty@.service"])
    problems = info.value.problems
    assert sorted(problems) == ["dbus-org.freedesktop.resolve1.service", "getty@tty1.service", "systemd-resolved.service"]
    assert "through systemd-resolved.service" in problems["dbus-org.freedesktop.resolve1.service"]
    assert "through getty@.service" in problems["getty@tty1.service"]
    trigger = trigger_choice("ssh.socket", ["ssh.service"], MASK)
    with pytest.raises(PlanError) as info:
        plan(MASK, unit("ssh.socket"), choice=trigger, protect=["ssh.socket"])
    assert "it came in as a trigger of ssh.service" in info.value.problems["ssh.socket"]
    assert plan(UNMASK, unit("ssh.socket", persistent="mask"), protect=["ssh.socket"]).has_changes


def test_a_mask_systemd_does_not_honour_is_not_taken_for_done():
    # The mask link is there, but a transient unit of the same name outranks it.
    transient = unit("run-y.service", persistent="mask", vendor=None,
                     extra=[entry("/run/systemd/transient/", "run-y.service", "file")])
    assert transient[0].load_state == "loaded"
    with pytest.raises(PlanError) as info:
        plan(MASK, transient)
    assert "would still load it from /run/systemd/transient/run-y.service" in info.value.problems["run-y.service"]


def test_unit_loaded_from_a_directory_between_the_two_mask_directories_takes_only_a_persistent_mask():
    # /etc/systemd/system.attached (portable services) comes after /etc/systemd/system
    # and before /run/systemd/system: a runtime mask cannot win over it.
    attached = Entry("portable.service", "/etc/systemd/system.attached", "attached", "file", None, None, None)
    state = unit("portable.service", vendor=None, extra=[attached])
    with pytest.raises(PlanError) as info:
        plan(MASK_RUNTIME, state)
    assert ("/etc/systemd/system.attached/portable.service, which outranks /run/systemd/system"
            in info.value.problems["portable.service"])
    assert plan(MASK, state).mask_persistent == ["portable.service"]


def test_each_unit_gets_the_actions_of_its_own_request():
    result = plan_mixed(
        (MASK, unit("a.service")),
        (MASK_RUNTIME, unit("b.service")),
        (UNMASK, unit("c.service", persistent="mask", runtime="mask")),
        (UNMASK_RUNTIME, unit("d.service", persistent="mask", runtime="mask")),
        (MASK_NOW, unit("e.service", active="active")),
        (MASK, unit("f.service", active="active")),
    )
    assert actions(result) == {
        "mask_persistent": ["a.service", "e.service", "f.service"],
        "mask_runtime": ["b.service"],
        "unmask_persistent": ["c.service"],
        "unmask_runtime": ["c.service", "d.service"],
        "stop": ["e.service"],
    }
    assert [r.choice.request for r in result.records] == [MASK, MASK_RUNTIME, UNMASK, UNMASK_RUNTIME, MASK_NOW, MASK]
    assert [expected(result, u).mask for u in ("a.service", "b.service", "c.service", "d.service")] == [
        "persistent", "runtime", "none", "persistent"]
    assert expected(result, "e.service").active_state == "inactive"
    assert expected(result, "f.service").active_state == "active"


@pytest.mark.parametrize(("first", "second", "words"), [
    (MASK, MASK_RUNTIME, "masked (as a.service), and masked at runtime (as a.service)"),
    (MASK, MASK_NOW, "masked (as a.service), and masked and stopped (as a.service)"),
    (MASK_RUNTIME, UNMASK_RUNTIME, "masked at runtime (as a.service), and unmasked at runtime (as a.service)"),
    (UNMASK, UNMASK_RUNTIME, "unmasked (as a.service), and unmasked at runtime (as a.service)"),
    (UNMASK, MASK, "unmasked (as a.service), and masked (as a.service)"),
])
def test_a_unit_asked_two_different_things_is_refused_naming_both(first, second, words):
    with pytest.raises(PlanError) as info:
        plan_mixed((first, unit("a.service", active="active")), (second, unit("a.service", active="active")),
                   (MASK, unit("b.service")))
    assert list(info.value.problems) == ["a.service"]
    assert info.value.problems["a.service"].startswith("asked twice with different options: " + words)


@pytest.mark.parametrize(("first", "second"), [
    (MASK, MASK._replace(triggers=True)),
    (MASK, MASK._replace(on_link="follow")),
    (MASK_NOW, MASK_NOW._replace(on_link="replace")),
    (UNMASK, UNMASK._replace(on_link="follow", triggers=True)),
])
def test_a_unit_asked_the_same_twice_is_planned_once(first, second):
    result = plan_mixed((first, unit("a.service", persistent="mask" if first.state == "unmasked" else None,
                                     active="active")),
                        (second, unit("a.service", persistent="mask" if first.state == "unmasked" else None,
                                      active="active")))
    planned = actions(result)
    assert all(units == ["a.service"] for units in planned.values()) and planned
    assert len(result.records) == 2
    assert result.records[0].expected == result.records[1].expected


def test_an_alias_asked_other_than_its_unit_is_named_as_such():
    alias = Entry("sshd.service", ETC.rstrip("/"), "persistent", "alias", "ssh.service", LIB + "ssh.service", None)
    ssh = unit("ssh.service", extra=[alias])
    with pytest.raises(PlanError) as info:
        plan_mixed((MASK, ssh, "sshd"), (UNMASK, ssh, "ssh"))
    assert info.value.problems["ssh.service"].startswith(
        "asked twice with different options: masked (through sshd), and unmasked (as ssh)")


def test_a_trigger_two_requests_share_is_named_as_a_trigger_of_each():
    socket = unit("cups.socket")
    choices = [trigger_choice("cups.socket", ["cups.service"], MASK),
               trigger_choice("cups.socket", ["cups-browsed.service"], MASK_RUNTIME)]
    with pytest.raises(PlanError) as info:
        plan_masking(choices, [socket[0], socket[0]], socket[1], scope())
    assert info.value.problems["cups.socket"].startswith(
        "asked twice with different options: masked (as a trigger of cups.service), and masked at "
        "runtime (as a trigger of cups-browsed.service)")


def test_units_with_nothing_to_do_are_expected_as_they_were():
    # The apply step reads again only what the plan expects to change.
    result = plan_mixed(
        (MASK, unit("kept.service", persistent="mask", active="active")),
        (MASK_RUNTIME, unit("covered.service", persistent="mask")),
        (UNMASK, unit("free.service")),
        (MASK, unit("new.service")),
    )
    assert [r.expected == r.before for r in result.records] == [True, True, True, False]


def test_an_instance_follows_its_template_unmasked_in_the_same_plan():
    template_mask = entry(ETC, "getty@.service", "mask")
    template = unit("getty@.service", persistent="mask")
    instance = unit("getty@tty1.service", vendor=None, extra=[template_mask, entry(LIB, "getty@.service", "file")])
    assert instance[0].load_state == "masked"
    result = plan_mixed((UNMASK, template), (UNMASK, instance))
    assert actions(result) == {"unmask_persistent": ["getty@.service"]}
    after = expected(result, "getty@tty1.service")
    # No action of its own, but systemd loads it differently once the template is unmasked.
    assert after.load_state is None
    assert after.lookup.load_state == "loaded"
    assert after != result.records[1].before


def test_an_instance_follows_its_template_masked_in_the_same_plan():
    template = unit("getty@.service")
    instance = unit("getty@tty1.service", vendor=None, extra=[entry(LIB, "getty@.service", "file")])
    assert instance[0].load_state == "loaded"
    result = plan_mixed((MASK, template), (UNMASK_RUNTIME, instance))
    assert actions(result) == {"mask_persistent": ["getty@.service"]}
    after = expected(result, "getty@tty1.service")
    assert after.load_state == "masked"
    assert after.mask == "none"
    assert after.loaded_from == ETC + "getty@.service"


def test_protect_refuses_masks_only_whichever_request_asks_them():
    ssh = unit("ssh.service", persistent="mask")
    assert plan_mixed((MASK, unit("cron.service")), (UNMASK, ssh), protect=["ssh.service"]).unmask_persistent == [
        "ssh.service"]
    with pytest.raises(PlanError) as info:
        plan_mixed((UNMASK, unit("cron.service", persistent="mask")), (MASK_RUNTIME, unit("ssh.service")),
                   protect=["ssh.service"])
    assert list(info.value.problems) == ["ssh.service"]
    assert info.value.problems["ssh.service"].startswith("protected:")
