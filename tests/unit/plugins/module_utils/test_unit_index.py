"""Lookups and suggestions over the unit index, and reading os-release."""

from __future__ import annotations

import time

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils import unit_index_data
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_index import (
    UnitIndex,
    debian_release,
    edit_distance,
    load_index,
    parse_index,
    parse_os_release,
)


def _small_index():
    """bookworm = bit 1, trixie = bit 2 of the release masks."""
    return UnitIndex({
        "format": 1,
        "releases": [{"release": "bookworm"}, {"release": "trixie"}],
        "system_unit": {
            "named.service": [[3, "bind9"]],
            "named-resolvconf.service": [[3, "bind9"]],
            "nginx.service": [[2, "nginx-common"]],
            "systemd-journald.service": [[3, "systemd"]],
            "systemd-journald.socket": [[3, "systemd"]],
            "getty@.service": [[3, "systemd"]],
            "ssh.service": [[1, "openssh-server"], [2, "openssh-server", "systemd"]],
            "ssh.socket": [[3, "openssh-server"]],
        },
        "system_dropin": {"bind9.service": [[3, "freedombox"]], "nginx.service": [[1, "freedombox"]]},
        "user_unit": {"pipewire.socket": [[3, "systemd"]]},
    })


def test_lookup_known_per_release():
    index = _small_index()
    assert index.lookup("named.service") == (
        "named.service", "known", {"bookworm": ["bind9"], "trixie": ["bind9"]}, "name", {})
    assert index.lookup("nginx.service").packages == {"trixie": ["nginx-common"]}
    assert index.lookup("nginx.service").referenced_by == {"bookworm": ["freedombox"]}
    assert index.lookup("ssh.service").packages == {"bookworm": ["openssh-server"], "trixie": ["openssh-server", "systemd"]}
    # In bookworm only freedombox's drop-in names it.
    assert index.lookup("nginx.service", release="bookworm").status == "referenced"
    assert index.lookup("named.service", release="sid").status == "unknown"
    assert index.lookup("nginx.service", release="trixie").status == "known"


def test_instances_are_known_through_their_template():
    index = _small_index()
    assert index.lookup("getty@tty1.service")[1:4] == ("known", {"bookworm": ["systemd"], "trixie": ["systemd"]}, "template")
    assert index.lookup("getty@.service").via == "name"
    assert index.lookup("other@tty1.service").status == "unknown"


def test_a_name_only_a_dropin_names_is_referenced_not_known():
    lookup = _small_index().lookup("bind9.service")
    assert (lookup.status, lookup.packages, lookup.referenced_by) == (
        "referenced", {}, {"bookworm": ["freedombox"], "trixie": ["freedombox"]})


def test_scopes_are_apart():
    index = _small_index()
    assert index.lookup("pipewire.socket").status == "unknown"
    assert index.lookup("pipewire.socket", scope="user").status == "known"


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="format"):
        UnitIndex({"format": 2})


def test_parse_index_text():
    document = parse_index(
        "sysguard-unit-index 1\n"
        'release {"release": "bookworm", "version": "12.15"}\n'
        'release {"release": "forky", "version": null}\n'
        "table system_unit\n"
        "bird.service 1:bird,bird2 2:bird3\n"
        "table system_dropin\n"
        "bind9.service 3:freedombox\n")
    assert document == {
        "format": 1,
        "releases": [{"release": "bookworm", "version": "12.15"}, {"release": "forky", "version": None}],
        "system_unit": {"bird.service": [[1, "bird", "bird2"], [2, "bird3"]]},
        "system_dropin": {"bind9.service": [[3, "freedombox"]]},
    }
    index = UnitIndex(document)
    assert index.lookup("bird.service").packages == {"bookworm": ["bird", "bird2"], "forky": ["bird3"]}
    assert index.lookup("bird.service", scope="user").status == "unknown"


@pytest.mark.parametrize("text", [
    "",
    "something else 1\n",
    "sysguard-unit-index 1\nbird.service 1:bird\n",
    "sysguard-unit-index 1\ntable system_unit\nbird.service bird\n",
])
def test_parse_index_refuses_what_is_not_an_index(text):
    with pytest.raises(ValueError, match="unit index"):
        parse_index(text)


@pytest.mark.parametrize(("name", "expected"), [
    ("ngnix.service", [("nginx.service", "spelling")]),
    ("journald.service", [("systemd-journald.service", "suffix")]),
    # bind9 ships named.service; bind9.service is its alias, which a drop-in names.
    ("nbind9.service", [("bind9.service", "dropin"), ("named.service", "package"),
                        ("named-resolvconf.service", "package")]),
    ("journald.socket", [("systemd-journald.socket", "suffix")]),
    ("sshh.socket", [("ssh.socket", "spelling")]),
    ("sshd.service", [("ssh.service", "spelling")]),
    ("zzzzzzzz.service", []),
    # An instance: its template is suggested, with the same instance.
    ("gety@tty1.service", [("getty@tty1.service", "spelling")]),
    ("gety@.service", [("getty@.service", "spelling")]),
    ("ssh@tty1.service", []),
    ("ngnix.timer", []),
    ("noext", []),
])
def test_suggestions_on_a_small_index(name, expected):
    assert [(s.unit, s.reason) for s in _small_index().suggest(name)] == expected


def test_suggestions_name_their_packages_and_are_limited():
    index = _small_index()
    assert index.suggest("ngnix.service")[0].packages == ["nginx-common"]
    assert len(index.suggest("nbind9.service", limit=1)) == 1


@pytest.mark.parametrize(("first", "second", "distance"), [
    ("ngnix", "nginx", 1),
    ("nbind9", "bind9", 1),
    ("sshd", "ssh", 1),
    ("abc", "abc", 0),
    ("kitten", "sitting", 3),
    ("abcdef", "ab", 4),
])
def test_edit_distance(first, second, distance):
    assert edit_distance(first, second, 5) == distance
    assert edit_distance(second, first, 5) == distance
    if distance:
        # Past the limit, the answer is limit + 1 whatever the real distance.
        assert edit_distance(first, second, distance - 1) == distance
        assert edit_distance(first, second, 0) == 1


def test_the_shipped_index():
    index = load_index()
    assert load_index() is index
    assert index.releases == ["bullseye", "bookworm", "trixie", "forky"]
    # Debian 11 to 13 have a version; testing has none.
    assert [bool(source["version"]) for source in index.sources] == [True, True, True, False]
    for source in index.sources:
        assert source["contents"] == [
            "dists/%s/%s/Contents-%s.gz" % (source["release"], component, architecture)
            for component in ("main", "contrib", "non-free") for architecture in ("amd64", "all")]
    assert unit_index_data.BUILT
    for release in index.releases:
        assert index.lookup("nginx.service", release=release).packages == {release: ["nginx-common"]}
        assert index.lookup("named.service", release=release).packages == {release: ["bind9"]}
        assert index.lookup("systemd-journald.service", release=release).packages == {release: ["systemd"]}
        assert index.lookup("getty@tty1.service", release=release).via == "template"
    assert index.lookup("bind9.service").status == "referenced"
    assert index.lookup("journald.service").status == "unknown"
    assert index.lookup("ngnix.service").status == "unknown"


@pytest.mark.parametrize(("name", "first", "also"), [
    ("ngnix.service", "nginx.service", []),
    ("journald.service", "systemd-journald.service", []),
    ("nbind9.service", "bind9.service", ["named.service"]),
])
def test_the_three_typos_on_the_shipped_index(name, first, also):
    suggested = [s.unit for s in load_index().suggest(name)]
    assert suggested[0] == first
    assert set(also) <= set(suggested)


def test_suggestions_for_a_thousand_names_are_quick():
    index = load_index()
    names = sorted(index.names())[:1000]
    typos = [name[:1] + ("z" if name[1] == "q" else "q") + name[2:] for name in names]
    started = time.perf_counter()
    found = sum(1 for typo, name in zip(typos, names) if name in [s.unit for s in index.suggest(typo, limit=10)])
    elapsed = time.perf_counter() - started
    # One substituted letter is always within reach; each name is offered back.
    assert found == len(names)
    # About 2.5 s on the 2-core CI machine; a generous bound that still catches a
    # fall back to comparing with every name (about ten times slower).
    assert elapsed < 15


OS_RELEASE_BOOKWORM = """\
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
"""
OS_RELEASE_TESTING = """\
PRETTY_NAME="Debian GNU/Linux forky/sid"
NAME="Debian GNU/Linux"
VERSION_CODENAME=forky
ID=debian
"""
OS_RELEASE_UBUNTU = """\
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
"""


def test_parse_os_release_quotes_escapes_and_comments():
    fields = parse_os_release(
        '# a comment\n\nNAME="Debian \\"GNU\\"/Linux"\nID=\'debian\'\nVERSION_ID=12\nnot a line\nlower=x\n')
    assert fields == {"NAME": 'Debian "GNU"/Linux', "ID": "debian", "VERSION_ID": "12"}


@pytest.mark.parametrize(("text", "expected"), [
    (OS_RELEASE_BOOKWORM, (True, "bookworm", "12", False)),
    (OS_RELEASE_TESTING, (True, "forky", "14", True)),
    ('ID=debian\nVERSION_ID="11"\nVERSION="11 (bullseye)"\n', (True, "bullseye", "11", False)),
    ('ID=debian\nVERSION_ID="13.1"\nVERSION_CODENAME=trixie\n', (True, "trixie", "13", False)),
    ("ID=debian\nVERSION_CODENAME=zzz\n", (True, "zzz", None, True)),
    (OS_RELEASE_UBUNTU, (False, None, None, False)),
    ("", (False, None, None, False)),
])
def test_debian_release(text, expected):
    assert debian_release(parse_os_release(text)) == expected
