"""The catalogs the masking role ships: well formed, and no name in them is a typo."""

from __future__ import annotations

import pathlib

import pytest
import yaml

from ansible_collections.sysguard.systemd.plugins.module_utils.baseline import plan_baseline
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_index import load_index
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import parse_unit_name

CATALOGS = sorted((pathlib.Path(__file__).resolve().parents[2] / "roles" / "masking" / "files" / "catalogs").glob("*.yml"))
DEFAULTS = {"state": "masked", "runtime": False, "now": False, "triggers": False}


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_the_three_catalogs_are_shipped():
    assert [path.stem for path in CATALOGS] == ["cis_debian12", "stig_ubuntu2204", "stig_ubuntu2404"]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: path.stem)
def test_a_catalog_says_what_it_is_and_each_item_names_its_control(path):
    catalog = load(path)
    assert catalog["catalog"] == path.stem
    assert catalog["benchmark"] and catalog["version"]
    assert catalog["units"]
    for item in catalog["units"]:
        assert set(item) == {"name", "control", "title"}, item
        assert isinstance(item["control"], str) and isinstance(item["title"], str), item
        assert parse_unit_name(item["name"]).unit == item["name"], "write the full unit name: %s" % item["name"]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: path.stem)
def test_every_unit_of_a_catalog_is_one_a_debian_package_ships(path):
    index = load_index()
    unknown = [item["name"] for item in load(path)["units"] if index.lookup(item["name"]).status != "known"]
    assert unknown == []


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: path.stem)
def test_a_catalog_plans_as_a_layer(path):
    plan = plan_baseline({"catalog " + path.stem: load(path)["units"]}, DEFAULTS)
    assert [unit for control in plan["controls"] for unit in control["units"]] == [
        item["name"] for item in load(path)["units"]]
    assert len(plan["batches"]) == 1
