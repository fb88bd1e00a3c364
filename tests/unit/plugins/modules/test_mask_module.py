"""The mask module's options: how O(name) and O(units) become the run's RequestItems."""

from __future__ import annotations

import json
import re

import pytest

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core 2.18 and older: no helper, the module reads basic._ANSIBLE_ARGS
    import contextlib
    from unittest import mock

    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args):
        """Hand ``args`` to the AnsibleModule made inside the block, as ansible-core 2.16 to 2.18 read them."""
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()):
            yield

try:
    from ansible.module_utils import _internal as module_utils_internal
except ImportError:  # ansible-core 2.18 and older: warnings always go into the module's result
    module_utils_internal = None

from ansible_collections.sysguard.systemd.plugins.module_utils.errors import ModuleFailure
from ansible_collections.sysguard.systemd.plugins.module_utils.mask_plan import MaskRequest
from ansible_collections.sysguard.systemd.plugins.module_utils.masking import RequestItem, run_masking
from ansible_collections.sysguard.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.sysguard.systemd.plugins.modules import mask
from ansible_collections.sysguard.systemd.plugins.modules.mask import request_items

# The module options as AnsibleModule gives them: defaults filled in.
MODULE_DEFAULTS = {"name": None, "units": None, "state": "masked", "runtime": False, "now": False,
                   "triggers": False, "on_link": "refuse", "protect": [], "scope": "system", "root": None,
                   "unknown_names": "warn", "dependents": "warn", "exclusive": False, "keep": []}
ITEM_OPTIONS = ("state", "runtime", "now", "triggers", "on_link")


def params(**options):
    result = dict(MODULE_DEFAULTS, **options)
    if result["units"] is not None:
        # A suboption an item leaves out is None.
        result["units"] = [dict(dict((o, None) for o in ITEM_OPTIONS), **u) for u in result["units"]]
    return result


def test_name_is_one_item_with_the_module_options():
    items = request_items(params(name=["cron", "atd"], runtime=True, triggers=True, on_link="follow"))
    assert items == [RequestItem(None, ["cron", "atd"], MaskRequest("masked", True, False, True, "follow"))]


def test_unmask_by_name_keeps_now_so_that_it_is_refused():
    # The plain form has one request: now=true with state=unmasked is a mistake to report.
    items = request_items(params(name=["cron"], state="unmasked", now=True))
    assert items[0].request == MaskRequest("unmasked", False, True, False, "refuse")


def test_items_take_the_module_options_they_leave_out():
    items = request_items(params(units=[{"name": ["cron"]}, {"name": ["atd", "rsync"]}],
                                 runtime=True, now=True, triggers=True, on_link="replace"))
    assert items == [
        RequestItem("units[0]", ["cron"], MaskRequest("masked", True, True, True, "replace")),
        RequestItem("units[1]", ["atd", "rsync"], MaskRequest("masked", True, True, True, "replace")),
    ]


def test_an_item_option_overrides_the_module_option_even_when_false():
    items = request_items(params(units=[
        {"name": ["cron"], "runtime": False, "now": False, "triggers": False, "on_link": "refuse"},
        {"name": ["atd"], "state": "unmasked"},
        {"name": ["rsync"], "on_link": "follow"},
    ], runtime=True, now=True, triggers=True, on_link="replace"))
    assert [item.request for item in items] == [
        MaskRequest("masked", False, False, False, "refuse"),
        MaskRequest("unmasked", True, False, True, "replace"),
        MaskRequest("masked", True, True, True, "follow"),
    ]


def test_an_unmask_item_does_not_take_now_on_but_keeps_its_own():
    items = request_items(params(units=[
        {"name": ["a"], "state": "unmasked"},
        {"name": ["b"], "state": "unmasked", "now": True},
        {"name": ["c"]},
    ], now=True))
    assert [(item.request.state, item.request.now) for item in items] == [
        ("unmasked", False), ("unmasked", True), ("masked", True)]


def test_module_state_unmasked_is_inherited_without_now_and_masked_items_still_take_now():
    items = request_items(params(units=[{"name": ["a"]}, {"name": ["b"], "state": "masked"}],
                                 state="unmasked", now=True))
    assert [(item.request.state, item.request.now) for item in items] == [("unmasked", False), ("masked", True)]


# The items, run.

def run(fake, module_params, check_mode=False):
    scope = fake.scope()
    return run_masking(Systemctl(fake, scope), request_items(module_params), scope,
                       protect=module_params["protect"], check_mode=check_mode)


def test_now_inherited_by_an_unmask_item_is_not_an_error(fake_systemd):
    fake_systemd.install("cron.service", active="active")
    fake_systemd.place_mask("atd.service", "persistent")
    result = run(fake_systemd, params(units=[{"name": ["cron"]}, {"name": ["atd"], "state": "unmasked"}], now=True))
    assert (result["masked"], result["unmasked"], result["stopped"]) == (
        ["cron.service"], ["atd.service"], ["cron.service"])


def test_now_set_on_an_unmask_item_is_refused_with_its_label(fake_systemd):
    fake_systemd.place_mask("atd.service", "persistent")
    with pytest.raises(ModuleFailure) as info:
        run(fake_systemd, params(units=[{"name": ["cron"]}, {"name": ["atd"], "state": "unmasked", "now": True}],
                                 now=True))
    assert "units[1] now: now=true stops units, which only applies with state=masked" in info.value.msg
    assert fake_systemd.calls == []
    assert fake_systemd.has_mask("atd.service", "persistent")


# The module itself: its argument spec, and a whole run.

@pytest.fixture(autouse=True)
def on_the_target(monkeypatch):
    """Run the module as on a managed host, whatever else the test run imported.

    Once controller code is imported (the filter plugins' tests import
    ansible.errors), ansible-core 2.19+ sends a module's warnings to the
    controller's display instead of its result.
    """
    if module_utils_internal is not None and hasattr(module_utils_internal, "is_controller"):
        monkeypatch.setattr(module_utils_internal, "is_controller", False)


def main(capsys, args):
    """Run the module with ``args``; its result and whether it failed."""
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        mask.main()
    result = json.loads(capsys.readouterr().out)
    assert bool(exit_info.value.code) == bool(result.get("failed"))
    return result


@pytest.mark.parametrize(("args", "message"), [
    ({"name": ["cron"], "units": [{"name": ["atd"]}]}, re.escape("parameters are mutually exclusive: name|units")),
    ({"state": "masked"}, re.escape("one of the following is required: name, units")),
    ({"units": [{"state": "unmasked"}]}, re.escape("missing required arguments: name found in units")),
    ({"units": [{"name": ["a"], "state": "gone"}]}, re.escape("value of state must be one of: masked, unmasked, got: gone")),
    # ansible-core 2.16 writes the type as <class 'str'>, later releases as str.
    ({"units": [{"name": ["a"], "runtime": "often"}]},
     r"argument 'runtime' is of type (str|<class 'str'>) found in 'units'\. and we were unable to convert to bool"),
    ({"units": [{"name": ["a"], "every": True}]},
     re.escape("units.every. Supported parameters include: name, now, on_link, runtime, state, triggers")),
])
def test_bad_items_are_refused_by_the_argument_spec(capsys, monkeypatch, fake_systemd, args, message):
    monkeypatch.setattr(mask, "Systemctl", lambda module, scope: Systemctl(fake_systemd, scope))
    monkeypatch.setattr(mask, "resolve_scope", lambda name, root: fake_systemd.scope())
    result = main(capsys, args)
    assert result["failed"] is True
    assert re.search(message, result["msg"])
    assert fake_systemd.calls == []


def test_a_mixed_baseline_is_one_module_call(capsys, monkeypatch, fake_systemd):
    monkeypatch.setattr(mask, "Systemctl", lambda module, scope: Systemctl(fake_systemd, scope))
    monkeypatch.setattr(mask, "resolve_scope", lambda name, root: fake_systemd.scope())
    fake_systemd.install("cups.service", active="active")
    fake_systemd.place_unit_file("cups.service")
    fake_systemd.place_mask("atd.service", "persistent")
    result = main(capsys, {
        "units": [
            {"name": ["telnet.socket", "rsh.socket"]},
            {"name": ["cups"], "now": True},
            {"name": ["avahi-daemon"], "runtime": True},
            {"name": ["atd"], "state": "unmasked"},
        ],
        "protect": ["ssh"],
    })
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True
    assert result["masked"] == ["telnet.socket", "rsh.socket", "cups.service", "avahi-daemon.service"]
    assert result["unmasked"] == ["atd.service"]
    assert result["stopped"] == ["cups.service"]
    # Before the read, which units are loaded; after it, what depends on cups.service,
    # the one loaded unit to mask.
    assert [argv[1] if argv[0].endswith("/systemctl") else argv[8] for argv in result["commands"]] == [
        "ListUnitsByPatterns", "ListUnitsByNames", "show", "UnmaskUnitFiles", "MaskUnitFiles", "MaskUnitFiles",
        "daemon-reload", "stop", "ListUnitsByNames"]
    assert fake_systemd.has_mask("avahi-daemon.service", "runtime")


def test_protect_reaches_the_plan(capsys, monkeypatch, fake_systemd):
    monkeypatch.setattr(mask, "Systemctl", lambda module, scope: Systemctl(fake_systemd, scope))
    monkeypatch.setattr(mask, "resolve_scope", lambda name, root: fake_systemd.scope())
    result = main(capsys, {"units": [{"name": ["cron"]}, {"name": ["ssh"], "runtime": True}], "protect": ["ssh"]})
    assert result["failed"] is True
    assert "ssh.service: protected" in result["msg"]
    assert not fake_systemd.has_mask("cron.service", "persistent")


def _debian_host(fake_systemd):
    import os

    os.makedirs(os.path.join(fake_systemd.root, "etc"), exist_ok=True)
    with open(os.path.join(fake_systemd.root, "etc/os-release"), "w") as handle:
        handle.write("ID=debian\nVERSION_ID=12\nVERSION_CODENAME=bookworm\n")


def test_an_unknown_name_is_one_warning_with_the_shipped_index(capsys, monkeypatch, fake_systemd):
    monkeypatch.setattr(mask, "Systemctl", lambda module, scope: Systemctl(fake_systemd, scope))
    monkeypatch.setattr(mask, "resolve_scope", lambda name, root: fake_systemd.scope())
    _debian_host(fake_systemd)
    result = main(capsys, {"name": ["ngnix.service", "nginx.service"]})
    assert result.get("failed") is not True, result.get("msg")
    assert result["unknown"] == ["ngnix.service"]
    assert [u["name_check"]["status"] for u in result["units"]] == ["unknown", "packaged"]
    assert "nginx-common" in result["units"][1]["name_check"]["packages"]["bookworm"]
    assert len(result["warnings"]) == 1
    # A string up to ansible-core 2.18, a structured summary from 2.19 on.
    assert "ngnix.service (did you mean nginx.service" in json.dumps(result["warnings"][0])
    assert "_warnings" not in result
    assert fake_systemd.has_mask("ngnix.service", "persistent")


def test_unknown_names_fail_changes_nothing(capsys, monkeypatch, fake_systemd):
    monkeypatch.setattr(mask, "Systemctl", lambda module, scope: Systemctl(fake_systemd, scope))
    monkeypatch.setattr(mask, "resolve_scope", lambda name, root: fake_systemd.scope())
    _debian_host(fake_systemd)
    result = main(capsys, {"name": ["ngnix.service", "nginx.service"], "unknown_names": "fail"})
    assert result["failed"] is True
    assert result["msg"].startswith("nothing was changed: unknown unit name,")
    assert result["unknown"] == ["ngnix.service"]
    assert not fake_systemd.has_mask("nginx.service", "persistent")


def test_keep_without_exclusive_is_refused(capsys, monkeypatch, fake_systemd):
    monkeypatch.setattr(mask, "Systemctl", lambda module, scope: Systemctl(fake_systemd, scope))
    monkeypatch.setattr(mask, "resolve_scope", lambda name, root: fake_systemd.scope())
    result = main(capsys, {"name": ["cups"], "keep": ["cron"]})
    assert result["failed"] is True
    assert result["msg"].startswith("keep lists masks that exclusive=true leaves")
    assert fake_systemd.calls == []
