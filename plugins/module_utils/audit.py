# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Audit a host against a masking baseline, and render the fleet's reports.

Pure: ``classify_host`` takes the baseline's plan (baseline.plan_baseline) and
what mask_info read on the host; ``render_junit`` and ``render_markdown`` take
the host reports. Nothing here reads or changes a host.

Each unit of the baseline gets one class:

- ``compliant``: as the baseline asks;
- ``missing``: asked masked, and systemd does not load it masked;
- ``blocked``: asked masked, not masked, and a file or link at its name in
  /etc/systemd/system keeps the mask from being written;
- ``runtime_only``: asked masked for good, masked only in /run: gone at the
  next reboot;
- ``unknown``: asked masked, and the name is no unit the host or a Debian
  package knows: its mask protects nothing;
- ``still_masked``: asked unmasked, and a mask of the kind to remove is there;
- ``excepted``: left alone by the host's exceptions.

And each administrator's mask (in /etc or /run) that no layer names is
``unexpected`` (with the time the mask was made), or ``window`` where an open
maintenance window made it. Packages' own masks are listed apart as vendor
masks, never as drift.
"""

from __future__ import annotations

from xml.etree import ElementTree

# Worst first: the order of the summary's columns and of a host's findings.
DRIFT_CLASSES = ("missing", "blocked", "unknown", "runtime_only", "still_masked", "unexpected")
CLASSES = DRIFT_CLASSES + ("window", "excepted", "compliant")
LABELS = {
    "missing": "Missing", "blocked": "Blocked", "unknown": "Unknown name", "runtime_only": "Runtime only",
    "still_masked": "Still masked", "unexpected": "Unexpected", "window": "Window", "excepted": "Excepted",
    "compliant": "Compliant",
}
WHY = {
    "missing": "asked masked; systemd does not load it masked",
    "blocked": "asked masked; %s at its name keeps the mask from being written",
    "unknown": "asked masked; no unit the host or a Debian package knows by this name, so its mask protects nothing",
    "runtime_only": "asked masked for good; masked only until the next reboot (/run)",
    "still_masked": "asked unmasked; still masked",
    "unexpected": "masked by an administrator (%s) and named by no layer",
}


def classify_host(plan, info, window_units=()):
    """The audit of one host: a dict with ``drift``, ``counts``, ``units``,
    ``vendor`` and ``controls``.

    ``plan`` is plan_baseline's result, ``info`` mask_info's (read with the
    plan's units as names and ``all_masks``), ``window_units`` the units the
    host's open maintenance windows masked.
    """
    states = info.get("units", {})
    controls_of = {}
    for control in plan.get("controls", []):
        for unit in control["units"]:
            controls_of.setdefault(unit, []).append(control["control"])
    records = []
    named = set()
    with_triggers = set()
    for batch in plan["batches"]:
        for unit in batch["name"]:
            named.add(unit)
            if batch["triggers"]:
                with_triggers.add(unit)
            records.append(_baseline_record(unit, batch, states.get(unit), controls_of))
    for unit in plan["skipped"]:
        named.add(unit)
        records.append(_record(unit, "excepted", states.get(unit), controls_of))
    # The units the baseline's masks land on: the unit a named alias leads to
    # (on_link=follow masks it), as exclusive mode counts them.
    named.update(states[unit]["alias_of"] for unit in list(named) if states.get(unit, {}).get("alias_of"))
    vendor = []
    window_units = set(window_units)
    for unit, state in sorted(states.items()):
        if unit in named or _belongs_to(unit, state, named, with_triggers):
            continue
        if state.get("mask", "none") != "none":
            kind = "window" if unit in window_units else "unexpected"
            record = _record(unit, kind, state, controls_of)
            if kind == "unexpected":
                record["why"] = WHY["unexpected"] % ", ".join(link["path"] for link in _own_links(state))
            records.append(record)
        elif any(link["layer"] == "vendor" for link in state.get("links", [])):
            link = next(link for link in state["links"] if link["layer"] == "vendor")
            vendor.append({"unit": unit, "path": link["path"], "since": link["since"]})
    counts = dict((kind, sum(1 for r in records if r["class"] == kind)) for kind in CLASSES)
    return {
        "drift": any(counts[kind] for kind in DRIFT_CLASSES),
        "summary": _summary(records, counts, vendor),
        "counts": counts,
        "units": records,
        "vendor": vendor,
        "controls": _controls(plan, records),
        "dependents": dict((r["unit"], [d["unit"] for d in r["dependents"]]) for r in records if r.get("dependents")),
    }


def _belongs_to(unit, state, named, with_triggers):
    """Whether a mask no layer names comes with a named unit: a trigger of a
    unit asked with triggers, an alias of a named unit, an instance of a named
    template."""
    if state.get("starts") in with_triggers or state.get("alias_of") in named:
        return True
    stem, _dot, unit_type = unit.rpartition(".")
    return "@" in stem and not stem.endswith("@") and "%s@.%s" % (stem.split("@", 1)[0], unit_type) in named


def _summary(records, counts, vendor):
    """One line: the drift by class with its units, then how many units are fine."""
    parts = []
    for kind in DRIFT_CLASSES:
        units = [r["unit"] for r in records if r["class"] == kind]
        if units:
            parts.append("%s %s" % (kind.replace("_", " "), ", ".join(units)))
    fine = ["%d %s" % (counts[kind], kind) for kind in ("compliant", "excepted", "window") if counts[kind]]
    if vendor:
        fine.append("%d vendor mask%s" % (len(vendor), "" if len(vendor) == 1 else "s"))
    return "; ".join(parts + [", ".join(fine) or "no unit"])


def _baseline_record(unit, batch, state, controls_of):
    if state is None:
        raise ValueError("mask_info did not read %s, which the baseline names" % unit)
    if batch["state"] == "masked":
        kind = _masked_class(state, batch["runtime"])
    else:
        to_remove = ("runtime", "both") if batch["runtime"] else ("runtime", "persistent", "both")
        kind = "still_masked" if state["mask"] in to_remove else "compliant"
    record = _record(unit, kind, state, controls_of)
    record["wanted"] = "masked (runtime)" if batch["state"] == "masked" and batch["runtime"] else batch["state"]
    if kind in WHY:
        record["why"] = WHY[kind] % _blocker(state) if kind == "blocked" else WHY[kind]
    return record


def _masked_class(state, runtime):
    check = state.get("name_check") or {}
    if check.get("status") == "unknown":
        return "unknown"
    if state["load_state"] == "masked":
        only_runtime = state["mask"] == "runtime" and not any(
            link["layer"] not in ("runtime",) for link in state.get("links", []))
        return "runtime_only" if only_runtime and not runtime else "compliant"
    return "blocked" if state.get("blocked_by") else "missing"


def _blocker(state):
    blocked = state["blocked_by"]
    what = {"file": "a unit file", "alias": "a link to another unit", "linked": "a linked unit file",
            "dangling": "a link to nothing"}.get(blocked["kind"], "an entry")
    return "%s (%s)" % (what, blocked["path"])


def _own_links(state):
    return [link for link in state.get("links", []) if link["layer"] in ("persistent", "runtime")]


def _record(unit, kind, state, controls_of):
    state = state or {}
    links = _own_links(state)
    record = {
        "unit": unit,
        "class": kind,
        "load_state": state.get("load_state"),
        "active_state": state.get("active_state"),
        "mask": state.get("mask"),
        "since": min((link["since"] for link in links if link.get("since")), default=None),
        "controls": controls_of.get(unit, []),
    }
    for key in ("blocked_by", "dependents"):
        if state.get(key):
            record[key] = state[key]
    if state.get("name_check", {}).get("suggestions"):
        record["suggestions"] = state["name_check"]["suggestions"]
    return record


def _controls(plan, records):
    by_unit = dict((r["unit"], r) for r in records)
    report = []
    for control in plan.get("controls", []):
        classes = [by_unit[unit]["class"] for unit in control["units"] if unit in by_unit]
        drifted = [unit for unit in control["units"] if by_unit.get(unit, {}).get("class") in DRIFT_CLASSES]
        if drifted:
            status = "drift"
        elif classes and all(kind == "excepted" for kind in classes):
            status = "excepted"
        else:
            status = "compliant"
        report.append({"control": control["control"], "title": control["title"], "units": control["units"],
                       "status": status, "drifted": drifted})
    return report


def render_junit(reports):
    """JUnit XML for the fleet: a test suite per host, a test case per control
    (named by its ID) and per unit no control names, unexpected masks included.
    ``reports`` maps host -> classify_host's result."""
    suites = ElementTree.Element("testsuites", name="sysguard.systemd masking audit")
    for host in sorted(reports):
        report = reports[host]
        suite = ElementTree.SubElement(suites, "testsuite", name=host)
        cases = failures = skipped = 0
        covered = set()
        for control in report["controls"]:
            covered.update(control["units"])
            case = ElementTree.SubElement(suite, "testcase", classname=host, name="%s %s" % (
                control["control"], control["title"] or ", ".join(control["units"])))
            cases += 1
            if control["status"] == "drift":
                failures += 1
                by_unit = dict((r["unit"], r) for r in report["units"])
                ElementTree.SubElement(case, "failure", type="drift", message="; ".join(
                    "%s: %s" % (unit, by_unit[unit]["class"]) for unit in control["drifted"])).text = "\n".join(
                    "%s: %s" % (unit, by_unit[unit].get("why", by_unit[unit]["class"])) for unit in control["drifted"])
            elif control["status"] == "excepted":
                skipped += 1
                ElementTree.SubElement(case, "skipped", message="excepted on this host")
        for record in report["units"]:
            if record["unit"] in covered:
                continue
            case = ElementTree.SubElement(suite, "testcase", classname=host, name=record["unit"])
            cases += 1
            if record["class"] in DRIFT_CLASSES:
                failures += 1
                ElementTree.SubElement(case, "failure", type=record["class"], message=record["class"]).text = \
                    record.get("why", record["class"])
            elif record["class"] in ("excepted", "window"):
                skipped += 1
                ElementTree.SubElement(case, "skipped", message="excepted on this host" if record["class"] == "excepted"
                                       else "masked by an open maintenance window")
        suite.set("tests", str(cases))
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


def render_markdown(reports):
    """A short Markdown summary: hosts x classes, worst hosts first, then each
    drifted host's findings. ``reports`` maps host -> classify_host's result."""
    hosts = sorted(reports, key=lambda host: (-_drift_count(reports[host]), host))
    drifted = [host for host in hosts if reports[host]["drift"]]
    lines = ["# Masking audit", "",
             "%d host%s, %d drifted." % (len(hosts), "" if len(hosts) == 1 else "s", len(drifted)), "",
             "| Host | " + " | ".join(LABELS[kind] for kind in CLASSES) + " | Vendor |",
             "|---|" + "---:|" * (len(CLASSES) + 1)]
    for host in hosts:
        report = reports[host]
        lines.append("| %s | %s | %d |" % (host, " | ".join(str(report["counts"][kind]) for kind in CLASSES),
                                           len(report["vendor"])))
    for host in drifted:
        lines += ["", "## %s" % host, ""]
        for record in sorted(reports[host]["units"], key=lambda r: CLASSES.index(r["class"])):
            if record["class"] not in DRIFT_CLASSES:
                continue
            extra = []
            if record["controls"]:
                extra.append("control %s" % ", ".join(record["controls"]))
            if record["class"] == "unexpected" and record["since"]:
                extra.append("since %s" % record["since"])
            if record.get("suggestions"):
                extra.append("did you mean %s?" % " or ".join(record["suggestions"]))
            detail = " (%s)" % "; ".join(extra) if extra else ""
            lines.append("- %s: `%s`%s" % (LABELS[record["class"]], record["unit"], detail))
    return "\n".join(lines) + "\n"


def _drift_count(report):
    return sum(report["counts"][kind] for kind in DRIFT_CLASSES)
