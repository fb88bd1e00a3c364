from __future__ import annotations

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.baseline import (
    BaselineError,
    controls_report,
    plan_baseline,
)

DEFAULTS = {"state": "masked", "runtime": False, "now": False, "triggers": False}


def batches(result):
    return [(b["state"], b["runtime"], b["now"], b["name"]) for b in result["batches"]]


def test_layers_add_up_into_one_call_per_option_set():
    result = plan_baseline({
        "masking_units__baseline": ["telnet.socket", "rsh.socket", "cups"],
        "masking_units__web": ["avahi-daemon", {"name": "cron", "runtime": True}],
        "masking_units": [{"name": "atd", "state": "unmasked"}],
    }, DEFAULTS)
    assert batches(result) == [
        ("unmasked", False, False, ["atd.service"]),
        ("masked", False, False, ["telnet.socket", "rsh.socket", "cups.service", "avahi-daemon.service"]),
        ("masked", True, False, ["cron.service"]),
    ]
    assert result["skipped"] == []


def test_defaults_apply_to_items_that_do_not_set_options():
    result = plan_baseline({"masking_units": ["a", {"name": "b", "now": False}]},
                           {"state": "masked", "runtime": True, "now": True, "triggers": False})
    assert batches(result) == [("masked", True, False, ["b.service"]), ("masked", True, True, ["a.service"])]


def test_masked_and_unmasked_in_two_layers_names_both_sources():
    with pytest.raises(BaselineError) as info:
        plan_baseline({
            "masking_units__baseline": ["cups"],
            "masking_units__print": [{"name": "cups.service", "state": "unmasked"}],
        }, DEFAULTS)
    message = str(info.value)
    assert "cups.service is asked masked by masking_units__baseline and unmasked by masking_units__print" in message


def test_same_state_in_two_layers_takes_the_stronger_request():
    result = plan_baseline({
        "masking_units__a": [{"name": "cron", "runtime": True}],
        "masking_units__b": ["cron.service"],
        "masking_units__c": [{"name": "cron", "now": True, "runtime": True}],
        "masking_units__d": [{"name": "cups", "runtime": True}, {"name": "cups", "triggers": True}],
    }, DEFAULTS)
    assert batches(result) == [("masked", False, False, ["cups.service"]), ("masked", False, True, ["cron.service"])]
    assert result["batches"][0]["triggers"] is True


def test_exceptions_are_skipped_and_reported():
    result = plan_baseline({"masking_units__baseline": ["cups", "avahi-daemon"]}, DEFAULTS,
                           exceptions=["cups.service"])
    assert batches(result) == [("masked", False, False, ["avahi-daemon.service"])]
    assert result["skipped"] == ["cups.service"]


def test_protected_units_are_refused_unless_allowed():
    layers = {"masking_units__baseline": ["telnet.socket", "sshd"], "masking_units__x": ["dbus.service"]}
    with pytest.raises(BaselineError) as info:
        plan_baseline(layers, DEFAULTS, protected=["sshd.service", "dbus"])
    message = str(info.value)
    assert "sshd.service is protected" in message and "asked by masking_units__baseline" in message
    assert "dbus.service is protected" in message
    assert "masking_allow_protected" in message
    allowed = plan_baseline(layers, DEFAULTS, protected=["sshd.service", "dbus"], allow_protected=True)
    assert batches(allowed)[0][3] == ["telnet.socket", "sshd.service", "dbus.service"]


def test_protected_units_may_be_unmasked_or_excepted():
    result = plan_baseline({"masking_units": [{"name": "ssh", "state": "unmasked"}, "sshd"]}, DEFAULTS,
                           exceptions=["sshd"], protected=["ssh", "sshd"])
    assert batches(result) == [("unmasked", False, False, ["ssh.service"])]
    assert result["skipped"] == ["sshd.service"]


@pytest.mark.parametrize(("item", "message"), [
    ({"unit": "cron"}, "must be a unit name or a mapping with a name"),
    (42, "must be a unit name or a mapping with a name"),
    ({"name": "cron", "masked": True}, "cron has unknown key masked"),
    ({"name": "cron", "state": "disabled"}, "cron has state 'disabled'"),
])
def test_malformed_items_name_their_source(item, message):
    with pytest.raises(BaselineError) as info:
        plan_baseline({"masking_units__web": [item]}, DEFAULTS)
    assert "masking_units__web: " in str(info.value)
    assert message in str(info.value)


def test_boolean_options_written_as_strings_are_read_as_ansible_reads_them():
    # "false" from an inventory or a survey is false, in an item or in the role's
    # defaults; an empty option takes the default, an empty default is false.
    result = plan_baseline({
        "masking_units__all": [{"name": "cron", "runtime": "true", "now": "false"}, "atd"],
        "masking_units__web": [{"name": "cron", "runtime": "yes", "now": "no", "triggers": "False"},
                               {"name": "atd", "now": None}],
    }, dict(DEFAULTS, runtime="false", now="true", triggers=None))
    assert result["batches"] == [
        {"state": "masked", "runtime": False, "now": True, "triggers": False, "name": ["atd.service"]},
        {"state": "masked", "runtime": True, "now": False, "triggers": False, "name": ["cron.service"]}]


@pytest.mark.parametrize(("layers", "defaults", "message"), [
    ({"masking_units__web": [{"name": "cron", "now": "maybe"}]}, DEFAULTS,
     "masking_units__web: cron has now 'maybe', expected true or false"),
    ({"masking_units__web": ["cron"]}, dict(DEFAULTS, runtime="sometimes"),
     "masking_units__web: cron has runtime 'sometimes' (the role's default), expected true or false"),
])
def test_a_boolean_option_that_is_not_one_is_refused_naming_the_unit(layers, defaults, message):
    with pytest.raises(BaselineError) as info:
        plan_baseline(layers, defaults)
    assert message in str(info.value)


@pytest.mark.parametrize("layer", ["cron", {"name": "cron"}])
def test_a_layer_that_is_not_a_list_is_refused_not_read_letter_by_letter(layer):
    with pytest.raises(BaselineError) as failure:
        plan_baseline({"masking_window_units": layer, "masking_units": ["atd"]}, DEFAULTS)
    message = str(failure.value)
    assert "masking_window_units must be a list of units" in message
    assert "c.service" not in message
    if isinstance(layer, str):
        assert "not the string 'cron'; write it as [cron]" in message


@pytest.mark.parametrize("option", ["exceptions", "protected"])
def test_exceptions_or_protected_units_as_a_string_are_refused(option):
    with pytest.raises(BaselineError) as failure:
        plan_baseline({"masking_units": ["cron"]}, DEFAULTS, **{option: "cron"})
    assert "must be a list of units, not the string 'cron'" in str(failure.value)


def _entry(name, load_state, mask="persistent"):
    return {"name": name, "unit": name, "after": {"load_state": load_state, "active_state": "inactive", "mask": mask}}


def test_items_carry_their_control_and_the_plan_groups_units_by_control():
    plan = plan_baseline({
        "catalog cis_debian12": [
            {"name": "cups.socket", "control": "2.1.11", "title": "print server not in use"},
            {"name": "cups.service", "control": "2.1.11", "title": "print server not in use"},
            {"name": "avahi-daemon.service", "control": "2.1.2"},
        ],
        "masking_units__site": [{"name": "cups", "now": True, "control": "SITE-7", "title": "no printing"}],
    }, DEFAULTS)
    assert plan["controls"] == [
        {"control": "2.1.11", "title": "print server not in use", "units": ["cups.socket", "cups.service"],
         "sources": ["catalog cis_debian12"]},
        {"control": "2.1.2", "title": None, "units": ["avahi-daemon.service"], "sources": ["catalog cis_debian12"]},
        {"control": "SITE-7", "title": "no printing", "units": ["cups.service"], "sources": ["masking_units__site"]},
    ]
    # The labels change nothing of what is done: cups.service merges as before.
    assert batches(plan) == [("masked", False, False, ["cups.socket", "avahi-daemon.service"]),
                             ("masked", False, True, ["cups.service"])]


def test_a_control_that_is_not_a_string_is_refused():
    with pytest.raises(BaselineError) as info:
        plan_baseline({"masking_units": [{"name": "cups", "control": ["2.1.11"]}]}, DEFAULTS)
    assert "masking_units: cups has control ['2.1.11'], expected a string" in str(info.value)


def test_controls_report_says_which_hold_by_systemds_load_state():
    plan = plan_baseline({"masking_units": [
        {"name": "cups.socket", "control": "2.1.11"}, {"name": "cups.service", "control": "2.1.11"},
        {"name": "ngnix.service", "control": "2.1.18"},
        {"name": "rsync.service", "control": "2.1.13"},
        {"name": "debug-shell.service", "state": "unmasked", "control": "X-1"},
    ]}, DEFAULTS, exceptions=["rsync"])
    units = [_entry("cups.socket", "masked"), _entry("cups.service", "loaded", mask="none"),
             _entry("ngnix.service", "masked"), _entry("debug-shell.service", "not-found", mask="none")]
    report = dict((c["control"], c) for c in controls_report(plan, units, unknown=["ngnix.service"]))
    assert report["2.1.11"]["holds"] == ["cups.socket"] and report["2.1.11"]["fails"] == ["cups.service"]
    assert report["2.1.11"]["compliant"] is False
    assert report["2.1.18"]["unknown"] == ["ngnix.service"] and report["2.1.18"]["compliant"] is False
    assert report["2.1.13"]["excepted"] == ["rsync.service"] and report["2.1.13"]["compliant"] is True
    assert report["X-1"]["holds"] == ["debug-shell.service"] and report["X-1"]["compliant"] is True


def test_in_check_mode_a_planned_mask_counts_by_its_link():
    plan = plan_baseline({"masking_units": [{"name": "cups.service", "control": "2.1.11"}]}, DEFAULTS)
    report = controls_report(plan, [_entry("cups.service", None, mask="persistent")])
    assert report[0]["compliant"] is True
    assert controls_report(plan, [])[0]["fails"] == ["cups.service"]


def test_a_control_yaml_read_as_a_number_is_refused_with_how_to_quote_it():
    with pytest.raises(BaselineError) as info:
        plan_baseline({"masking_units": [{"name": "cups", "control": 2.1}]}, DEFAULTS)
    assert "quote it" in str(info.value)
    assert plan_baseline({"masking_units": [{"name": "cups", "control": 7}]}, DEFAULTS)["controls"][0]["control"] == "7"
