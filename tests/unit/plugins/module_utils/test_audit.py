"""Audit classes, controls and the fleet's reports, from a plan and mask_info's answer."""

from __future__ import annotations

from xml.etree import ElementTree

from ansible_collections.sysguard.systemd.plugins.module_utils.audit import (
    classify_host,
    render_junit,
    render_markdown,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.baseline import plan_baseline

DEFAULTS = {"state": "masked", "runtime": False, "now": False, "triggers": False}
SINCE = "2026-11-30T08:00:00Z"


def state(load_state="masked", mask="persistent", links=None, **extra):
    if links is None:
        links = []
        if mask in ("persistent", "both"):
            links.append({"path": "/etc/systemd/system/x", "layer": "persistent", "target": "/dev/null", "since": SINCE})
        if mask in ("runtime", "both"):
            links.append({"path": "/run/systemd/system/x", "layer": "runtime", "target": "/dev/null", "since": SINCE})
    return dict({"load_state": load_state, "active_state": "inactive", "mask": mask, "links": links}, **extra)


def plan():
    return plan_baseline({
        "catalog cis_debian12": [
            {"name": "cups.socket", "control": "2.1.11", "title": "No print server"},
            {"name": "cups.service", "control": "2.1.11", "title": "No print server"},
            {"name": "rsync.service", "control": "2.1.13", "title": "No rsync"},
        ],
        "masking_units__site": [
            "telnet.socket", "ngnix.service", "local.service", "avahi-daemon.service",
            {"name": "debug-shell.service", "state": "unmasked"},
        ],
    }, DEFAULTS, exceptions=["rsync"])


def host_info(**overrides):
    units = {
        "cups.socket": state(),
        "cups.service": state(load_state="loaded", mask="none"),
        "rsync.service": state(load_state="loaded", mask="none"),
        "telnet.socket": state(mask="runtime"),
        "ngnix.service": state(name_check={"status": "unknown", "suggestions": ["nginx.service"]}),
        "local.service": state(load_state="loaded", mask="none",
                               blocked_by={"path": "/etc/systemd/system/local.service", "kind": "file", "target": None}),
        "avahi-daemon.service": state(mask="both"),
        "debug-shell.service": state(load_state="loaded", mask="none"),
        "stray.service": state(),
        "windowed.service": state(mask="runtime"),
        "x11-common.service": state(mask="none", links=[
            {"path": "/lib/systemd/system/x11-common.service", "layer": "vendor", "target": "/dev/null", "since": SINCE}]),
    }
    units.update(overrides)
    return {"units": units}


def classes(report):
    return dict((r["unit"], r["class"]) for r in report["units"])


def test_every_unit_gets_its_class_and_vendor_masks_are_apart():
    report = classify_host(plan(), host_info(), window_units=["windowed.service"])
    assert classes(report) == {
        "cups.socket": "compliant", "cups.service": "missing", "telnet.socket": "runtime_only",
        "ngnix.service": "unknown", "local.service": "blocked", "avahi-daemon.service": "compliant",
        "debug-shell.service": "compliant", "rsync.service": "excepted",
        "stray.service": "unexpected", "windowed.service": "window",
    }
    assert report["vendor"] == [{"unit": "x11-common.service", "path": "/lib/systemd/system/x11-common.service",
                                 "since": SINCE}]
    assert report["drift"] is True
    assert report["summary"] == ("missing cups.service; blocked local.service; unknown ngnix.service; runtime only "
                                 "telnet.socket; unexpected stray.service; 3 compliant, 1 excepted, 1 window, "
                                 "1 vendor mask")
    assert report["counts"]["missing"] == 1 and report["counts"]["compliant"] == 3
    by_unit = dict((r["unit"], r) for r in report["units"])
    assert by_unit["stray.service"]["since"] == SINCE
    assert by_unit["local.service"]["why"] == (
        "asked masked; a unit file (/etc/systemd/system/local.service) at its name keeps the mask from being written")
    assert by_unit["ngnix.service"]["suggestions"] == ["nginx.service"]
    assert by_unit["cups.service"]["controls"] == ["2.1.11"]


def test_controls_drift_when_one_of_their_units_does():
    report = classify_host(plan(), host_info())
    assert [(c["control"], c["status"], c["drifted"]) for c in report["controls"]] == [
        ("2.1.11", "drift", ["cups.service"]), ("2.1.13", "excepted", [])]


def test_a_host_as_the_baseline_asks_has_no_drift():
    info = host_info(**{
        "cups.service": state(), "telnet.socket": state(mask="both"),
        "ngnix.service": state(name_check={"status": "packaged"}), "local.service": state(),
    })
    del info["units"]["stray.service"]
    report = classify_host(plan(), info, window_units=["windowed.service"])
    assert report["drift"] is False
    assert [c["status"] for c in report["controls"]] == ["compliant", "excepted"]


def test_a_runtime_item_is_satisfied_by_a_runtime_mask_and_an_unmask_by_its_layer():
    runtime_plan = plan_baseline({"masking_units": [
        {"name": "a.service", "runtime": True},
        {"name": "b.service", "state": "unmasked", "runtime": True},
        {"name": "c.service", "state": "unmasked"}]}, DEFAULTS)
    report = classify_host(runtime_plan, {"units": {
        "a.service": state(mask="runtime"), "b.service": state(mask="persistent"),
        "c.service": state(mask="persistent")}})
    assert classes(report) == {"a.service": "compliant", "b.service": "compliant", "c.service": "still_masked"}


def test_a_vendor_mask_counts_for_a_baseline_unit():
    report = classify_host(plan_baseline({"masking_units": ["x11-common.service"]}, DEFAULTS), {"units": {
        "x11-common.service": state(mask="none", links=[
            {"path": "/lib/systemd/system/x11-common.service", "layer": "vendor", "target": "/dev/null", "since": SINCE}])}})
    assert classes(report) == {"x11-common.service": "compliant"}


def test_junit_has_a_suite_per_host_and_a_case_per_control_or_unit():
    reports = {"web1": classify_host(plan(), host_info(), ["windowed.service"]),
               "db1": classify_host(plan(), host_info())}
    root = ElementTree.fromstring(render_junit(reports).split("\n", 1)[1])
    assert [suite.get("name") for suite in root] == ["db1", "web1"]
    cases = dict((case.get("name"), case) for case in root[1])
    assert "2.1.11 No print server" in cases and "cups.service" not in cases
    failure = cases["2.1.11 No print server"].find("failure")
    assert failure.get("message") == "cups.service: missing"
    assert cases["2.1.13 No rsync"].find("skipped") is not None
    assert cases["stray.service"].find("failure").get("type") == "unexpected"
    assert cases["windowed.service"].find("skipped") is not None
    assert cases["avahi-daemon.service"].find("failure") is None
    # 2.1.11, telnet.socket, ngnix.service, local.service, stray.service; on db1 windowed.service too.
    assert (root[1].get("failures"), root[0].get("failures")) == ("5", "6")


def test_markdown_puts_the_worst_host_first_and_lists_its_drift():
    clean = host_info(**{"cups.service": state(), "telnet.socket": state(mask="both"),
                         "ngnix.service": state(name_check={"status": "packaged"}), "local.service": state()})
    del clean["units"]["stray.service"]
    text = render_markdown({"a-clean": classify_host(plan(), clean, ["windowed.service"]),
                            "b-drifted": classify_host(plan(), host_info())})
    lines = text.splitlines()
    assert lines[2] == "2 hosts, 1 drifted."
    assert lines[6].startswith("| b-drifted | 1 | 1 | 1 | 1 | 0 | 2 |")
    assert lines[7].startswith("| a-clean | 0 | 0 | 0 | 0 | 0 | 0 |")
    assert "## a-clean" not in text
    assert "- Missing: `cups.service` (control 2.1.11)" in text
    assert "- Unknown name: `ngnix.service` (did you mean nginx.service?)" in text
    assert "- Unexpected: `stray.service` (since %s)" % SINCE in text


def test_masks_that_come_with_named_units_are_not_unexpected():
    triggers_plan = plan_baseline({"masking_units": [
        {"name": "cups.service", "triggers": True}, "sshd.service", "w@.service"]}, DEFAULTS)
    report = classify_host(triggers_plan, {"units": {
        "cups.service": state(), "sshd.service": state(mask="none", alias_of="ssh.service"),
        "w@.service": state(),
        "cups-x.socket": state(starts="cups.service"), "ssh.service": state(), "w@a.service": state(mask="runtime"),
        "other.socket": state(starts="other.service")}})
    assert [r["unit"] for r in report["units"] if r["class"] == "unexpected"] == ["other.socket"]
