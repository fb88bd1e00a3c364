"""tools/build_unit_index.py on a small archive tree built from text, no network."""

from __future__ import annotations

import gzip
import importlib.util
import os
import pathlib

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_index import UnitIndex

_TOOL = pathlib.Path(__file__).resolve().parents[2] / "tools" / "build_unit_index.py"
_SPEC = importlib.util.spec_from_file_location("build_unit_index", _TOOL)
tool = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tool)

# Lines in the forms Debian's Contents files use: an architecture's file (units
# under lib/ before the /usr merge), the `all` file, several packages on one line,
# a qualified location (area/section/package) and a path with a space.
BOOKWORM_AMD64 = """\
bin/systemctl                                           admin/systemd
lib/systemd/system/named.service                        net/bind9
lib/systemd/system/getty@.service                       admin/systemd
lib/systemd/system/sysinit.target.wants/systemd-journald.service admin/systemd
lib/systemd/system/systemd-journald.service             admin/systemd
lib/systemd/system/bird.service                         net/bird,net/bird2
lib/systemd/system/README                               admin/systemd
lib/systemd/system-generators/systemd-sysv-generator    admin/systemd
etc/init.d/xinetd                                       net/xinetd
etc/init.d/skeleton                                     admin/initscripts
lib/systemd/system/strange dir/x.service                admin/odd
usr/lib/systemd/user/pipewire.socket                    sound/pipewire-bin
usr/share/doc/nginx/nginx.service                       httpd/nginx-doc
"""
BOOKWORM_ALL = """\
lib/systemd/system/nginx.service                        httpd/nginx-common
usr/lib/systemd/system/bind9.service.d/freedombox.conf  web/freedombox
etc/systemd/system/foo.service.d/override.conf          non-free/admin/foo-conf
"""
FORKY_AMD64 = """\
usr/lib/systemd/system/named.service                    net/bind9
usr/lib/systemd/system/bird.service                     net/bird3
usr/lib/systemd/system/with space.service               admin/spacey
etc/init.d/xinetd                                       net/xinetd
"""
FORKY_ALL = """\
usr/lib/systemd/system/nginx.service                    httpd/nginx-common
"""


def _release(codename, version):
    lines = ["Origin: Debian", "Suite: %s" % ("testing" if version is None else "stable"), "Codename: %s" % codename]
    if version is not None:
        lines.append("Version: %s" % version)
    lines += ["Date: Sat, 01 Aug 2026 10:00:00 UTC", "MD5Sum:", " 0123 45 main/Contents-all.gz", ""]
    return "\n".join(lines)


@pytest.fixture(name="mirror")
def fixture_mirror(tmp_path):
    """A file:// archive with bookworm (main, and contrib without Contents) and forky."""
    files = {
        "dists/bookworm/Release": _release("bookworm", "12.15"),
        "dists/bookworm/main/Contents-amd64.gz": BOOKWORM_AMD64,
        "dists/bookworm/main/Contents-all.gz": BOOKWORM_ALL,
        "dists/forky/Release": _release("forky", None),
        "dists/forky/main/Contents-amd64.gz": FORKY_AMD64,
        "dists/forky/main/Contents-all.gz": FORKY_ALL,
    }
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if relative.endswith(".gz"):
            with gzip.open(path, "wt", encoding="utf-8") as handle:
                handle.write(text)
        else:
            path.write_text(text, encoding="utf-8")
    return tmp_path.as_uri()


@pytest.mark.parametrize(("line", "expected"), [
    ("lib/systemd/system/bird.service      net/bird,net/bird2", ("lib/systemd/system/bird.service", ["bird", "bird2"])),
    ("etc/x.conf non-free/admin/foo-conf\n", ("etc/x.conf", ["foo-conf"])),
    ("usr/share/a b/c.txt\tdoc/pkg", ("usr/share/a b/c.txt", ["pkg"])),
    ("FILE                                                    LOCATION", ("FILE", ["LOCATION"])),
    ("justonefield", None),
    ("", None),
])
def test_contents_lines_split_on_the_last_whitespace(line, expected):
    assert tool.parse_contents_line(line) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("lib/systemd/system/named.service", ("system", "unit", "named.service")),
    ("usr/lib/systemd/system/getty@.service", ("system", "unit", "getty@.service")),
    ("etc/systemd/system/foo.timer", ("system", "unit", "foo.timer")),
    ("usr/lib/systemd/user/pipewire.socket", ("user", "unit", "pipewire.socket")),
    ("lib/systemd/system/sysinit.target.wants/systemd-journald.service", ("system", "unit", "systemd-journald.service")),
    ("usr/lib/systemd/system/bind9.service.d/freedombox.conf", ("system", "dropin", "bind9.service")),
    ("./lib/systemd/system/x.mount", ("system", "unit", "x.mount")),
    ("lib/systemd/system/README", None),
    ("lib/systemd/system/foo.conf", None),
    ("lib/systemd/system-generators/foo", None),
    ("usr/lib/systemd/system/a/b/c.service", None),
    ("usr/share/doc/nginx/nginx.service", None),
    ("etc/init.d/xinetd", ("system", "sysv", "xinetd.service")),
    ("etc/init.d/hwclock.sh", ("system", "sysv", "hwclock.service")),
    ("etc/init.d/README", None),
    ("etc/init.d/.depend.boot", None),
    ("etc/init.d/sub/x", None),
    ("usr/lib/systemd/system-generators/systemd-sysv-generator", ("system", "sysv-generator", "")),
])
def test_paths_are_classified(path, expected):
    assert tool.classify_path(path) == expected


def test_release_file_fields():
    fields = tool.parse_release_file(_release("forky", None))
    assert fields["Codename"] == "forky"
    assert "Version" not in fields
    assert fields["Date"] == "Sat, 01 Aug 2026 10:00:00 UTC"


def test_apt_mirror_is_read_from_both_source_formats(tmp_path):
    listed = tmp_path / "etc" / "apt" / "sources.list.d"
    listed.mkdir(parents=True)
    (tmp_path / "etc" / "apt" / "sources.list").write_text(
        "# comment\ndeb-src http://source.invalid/debian bookworm main\n"
        "deb [arch=amd64] http://security.invalid/debian-security bookworm-security main\n",
        encoding="utf-8")
    assert tool.apt_mirror(str(tmp_path)) is None
    (listed / "debian.sources").write_text(
        "Types: deb\nURIs: http://disabled.invalid/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n\n"
        "Types: deb\n# a comment\nURIs: http://archive.invalid/debian/\nSuites: bookworm bookworm-updates\n"
        "Components: main\n",
        encoding="utf-8")
    assert tool.apt_mirror(str(tmp_path)) == "http://archive.invalid/debian"
    (listed / "a.list").write_text("deb http://first.invalid/debian trixie main contrib\n", encoding="utf-8")
    assert tool.apt_mirror(str(tmp_path)) == "http://first.invalid/debian"


def test_build_end_to_end(mirror, tmp_path):
    output = tmp_path / "unit_index_data.py"
    assert tool.main([
        "--mirror", mirror, "--release", "bookworm", "--release", "forky",
        "--component", "main", "--component", "contrib", "--output", str(output), "--date", "2026-08-02",
    ]) == 0
    text = output.read_text(encoding="utf-8")
    assert mirror not in text and str(tmp_path) not in text
    assert "bookworm 12.15, Release file of Sat, 01 Aug 2026 10:00:00 UTC: 6 system and 1 user unit names" in text
    assert "forky (testing)" in text
    assert max(len(line) for line in text.splitlines()) <= 160
    namespace = {}
    exec(compile(text, str(output), "exec"), namespace)  # pylint: disable=exec-used
    assert namespace["BUILT"] == "2026-08-02"
    index = UnitIndex.from_blob(namespace["DATA"])

    assert index.releases == ["bookworm", "forky"]
    bookworm = index.sources[0]
    assert (bookworm["version"], bookworm["suite"], bookworm["archive"]) == ("12.15", "stable", "Debian")
    assert bookworm["contents"] == ["dists/bookworm/main/Contents-amd64.gz", "dists/bookworm/main/Contents-all.gz"]
    assert bookworm["missing"] == ["dists/bookworm/contrib/Contents-amd64.gz", "dists/bookworm/contrib/Contents-all.gz"]
    assert index.sources[1]["version"] is None

    # Not names: README, a unit in a nested directory, a path with a space (which
    # systemd would not load as a unit), a unit file under /usr/share/doc.
    assert sorted(index.names()) == [
        "bird.service", "getty@.service", "named.service", "nginx.service", "systemd-journald.service",
        "xinetd.service"]
    # A SysV script is a service where the release's systemd has the generator (bookworm), not elsewhere.
    assert index.lookup("xinetd.service").packages == {"bookworm": ["xinetd"]}
    assert (index.sources[0]["sysv_scripts"], index.sources[1]["sysv_scripts"]) == (1, 0)
    assert list(index.names("user")) == ["pipewire.socket"]
    assert index.lookup("nginx.service").packages == {"bookworm": ["nginx-common"], "forky": ["nginx-common"]}
    assert index.lookup("bird.service").packages == {"bookworm": ["bird", "bird2"], "forky": ["bird3"]}
    assert index.lookup("bird.service", release="forky").packages == {"forky": ["bird3"]}
    assert index.lookup("getty@tty1.service").via == "template"
    assert index.lookup("pipewire.socket", scope="user").status == "known"
    assert index.lookup("pipewire.socket").status == "unknown"
    bind9 = index.lookup("bind9.service")
    assert (bind9.status, bind9.referenced_by) == ("referenced", {"bookworm": ["freedombox"]})
    assert index.lookup("foo.service").referenced_by == {"bookworm": ["foo-conf"]}


def test_a_missing_release_file_is_an_error(mirror):
    with pytest.raises(OSError):
        tool.build_release(mirror, "trixie")


def test_no_host_name_in_the_tool_source():
    source = _TOOL.read_text(encoding="utf-8")
    assert "http://" not in source and "https://" not in source
    assert os.path.basename(tool.DEFAULT_OUTPUT) == "unit_index_data.py"
