from __future__ import annotations

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import (
    InvalidUnitName,
    InvalidUnitNames,
    parse_unit_name,
    parse_unit_names,
)


@pytest.mark.parametrize(("name", "unit", "kind"), [
    ("cron", "cron.service", "plain"),
    ("cron.service", "cron.service", "plain"),
    ("telnet.socket", "telnet.socket", "plain"),
    ("tmp.mount", "tmp.mount", "plain"),
    ("-.mount", "-.mount", "plain"),
    ("dev-sda1.swap", "dev-sda1.swap", "plain"),
    ("systemd-fsck@dev-disk-by\\x2duuid-1234.service", "systemd-fsck@dev-disk-by\\x2duuid-1234.service", "instance"),
    ("getty@.service", "getty@.service", "template"),
    ("getty@tty1.service", "getty@tty1.service", "instance"),
    ("getty@tty1", "getty@tty1.service", "instance"),
    ("foo.bar", "foo.bar.service", "plain"),
    ("a" * 247, "a" * 247 + ".service", "plain"),
])
def test_valid_names_are_completed_and_classified(name, unit, kind):
    parsed = parse_unit_name(name)
    assert parsed.asked == name
    assert parsed.unit == unit
    assert parsed.kind == kind


@pytest.mark.parametrize(("name", "reason"), [
    ("", "empty"),
    (" cron", "white space"),
    ("bad name.service", "' '"),
    ("cron;reboot", "';'"),
    ("caf\u00e9.service", "'\u00e9'"),
    ("/usr/lib/systemd/system/cron.service", "path"),
    ("/dev/sda", "path"),
    ("--now", "option"),
    ("-x.service", "option"),
    ("a" * 248, "255"),
    ("@.service", "nothing before"),
    (".service", "nothing before"),
    ("foo*.service", "'*'"),
])
def test_invalid_names_say_why(name, reason):
    with pytest.raises(InvalidUnitName) as info:
        parse_unit_name(name)
    assert reason in info.value.reason
    assert info.value.name == name


def test_every_invalid_name_is_listed_together():
    with pytest.raises(InvalidUnitNames) as info:
        parse_unit_names(["cron", "bad name", "ok.socket", "/etc/passwd"])
    message = str(info.value)
    assert "'bad name'" in message
    assert "'/etc/passwd'" in message
    assert "cron" not in message
    assert [e.name for e in info.value.errors] == ["bad name", "/etc/passwd"]


def test_repeated_names_are_read_once_in_request_order():
    parsed = parse_unit_names(["cron", "ssh", "cron.service", "cron"])
    assert [u.unit for u in parsed] == ["cron.service", "ssh.service"]
    assert [u.asked for u in parsed] == ["cron", "ssh"]
