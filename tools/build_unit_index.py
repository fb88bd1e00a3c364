# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Build the index of unit names that Debian's packages ship.

Reads Debian's own package Contents indexes (``dists/SUITE/COMPONENT/Contents-ARCH.gz``,
for the architecture and for ``all``), keeps the paths under systemd's unit
directories, and writes plugins/module_utils/unit_index_data.py: a zlib-compressed
text (base64 in a Python string, so that AnsiballZ can ship it like any
other module_utils) with, per release, unit name -> packages.

The mirror comes from the command line (``--mirror``) or, by default, from this
machine's apt sources; no host name is written anywhere. ``--mirror`` also takes
``file://`` URLs, which is how the unit tests build an index from fixtures.

    python tools/build_unit_index.py                   # all releases, apt's mirror
    python tools/build_unit_index.py --mirror URL --release bookworm --output FILE

What the index covers: every unit file and every link that a package ships in a
unit directory (so an alias shipped as a link, or a unit linked into a ``.wants``
directory, is there by its name), the services SysV scripts in /etc/init.d become
on releases whose systemd has the SysV generator, and the names that packages ship
drop-ins for (``NAME.d/*.conf``), kept apart. What it does not cover: names that only an
``Alias=`` line inside a unit file creates when the unit is enabled (the unit
file's contents are not in Contents, and reading them means downloading every
package that ships a unit, over a gigabyte per release).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import glob
import gzip
import io
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
import zlib

RELEASES = ("bullseye", "bookworm", "trixie", "forky")
COMPONENTS = ("main", "contrib", "non-free")
ARCHITECTURES = ("amd64", "all")
DEFAULT_OUTPUT = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "plugins", "module_utils", "unit_index_data.py"))

UNIT_TYPES = (
    "service", "socket", "target", "device", "mount", "automount",
    "swap", "timer", "path", "slice", "scope",
)

# Unit directories packages ship into, as Contents writes them (no leading slash).
# lib/ is where packages put units before the /usr merge (bookworm and older).
UNIT_DIRECTORIES = {
    "lib/systemd/system/": "system",
    "usr/lib/systemd/system/": "system",
    "etc/systemd/system/": "system",
    "lib/systemd/user/": "user",
    "usr/lib/systemd/user/": "user",
    "etc/systemd/user/": "user",
}
# SysV init scripts become NAME.service through systemd-sysv-generator, on releases
# whose systemd still ships it (systemd 258 dropped it).
SYSV_DIRECTORY = "etc/init.d/"
SYSV_GENERATORS = ("lib/systemd/system-generators/systemd-sysv-generator",
                   "usr/lib/systemd/system-generators/systemd-sysv-generator")
# Files in /etc/init.d that are not services.
_SYSV_NOT_SERVICES = ("README", "skeleton", "rc", "rcS", "functions")
_DIRECTORY_PATTERN = re.compile(
    "^(?:" + "|".join(re.escape(d) for d in sorted(UNIT_DIRECTORIES, key=len, reverse=True)) + ")")
_UNIT_NAME = re.compile(r"^[A-Za-z0-9:_.\\@-]+\.(?:" + "|".join(UNIT_TYPES) + ")$")


def is_unit_name(name):
    """Whether a file name is a unit name systemd would load (not a README, not a .conf)."""
    return bool(_UNIT_NAME.match(name))


def parse_contents_line(line):
    """Split one Contents line into (path, [packages]).

    The format is ``PATH<whitespace>LOCATION[,LOCATION...]``, a location being
    ``[[AREA/]SECTION/]PACKAGE``. The path may itself contain spaces, so the
    split is on the last run of whitespace. Returns None for a line that is not
    of this form (such as the free-text header older Contents files carried).
    """
    line = line.rstrip("\n")
    match = re.match(r"^(.*?)\s+(\S+)$", line)
    if not match or not match.group(1):
        return None
    path, locations = match.group(1), match.group(2)
    packages = [location.rsplit("/", 1)[-1] for location in locations.split(",") if location]
    return path, packages


def classify_path(path):
    """Say what a path under a unit directory gives the index.

    Returns (scope, kind, unit name) with kind ``unit`` (a unit file or a link,
    shipped in a unit directory or in a ``.wants``/``.requires``/``.upholds``
    directory there), ``dropin`` (a file in ``NAME.d/``, which names a unit a
    package expects to exist), ``sysv`` (a SysV script in /etc/init.d, the
    service NAME.service once the generator has run) or ``sysv-generator``
    (that generator itself, with no name), or None for any other path.
    """
    if path.startswith("./"):
        path = path[2:]
    if path in SYSV_GENERATORS:
        return "system", "sysv-generator", ""
    if path.startswith(SYSV_DIRECTORY):
        script = path[len(SYSV_DIRECTORY):]
        if "/" in script or script.startswith(".") or script in _SYSV_NOT_SERVICES \
                or not is_unit_name(script + ".service"):
            return None
        # The generator names the service after the script without its .sh.
        return "system", "sysv", (script[:-3] if script.endswith(".sh") else script) + ".service"
    match = _DIRECTORY_PATTERN.match(path)
    if not match:
        return None
    scope = UNIT_DIRECTORIES[match.group(0)]
    parts = path[match.end():].split("/")
    if len(parts) == 1:
        return (scope, "unit", parts[0]) if is_unit_name(parts[0]) else None
    if len(parts) == 2:
        directory, name = parts
        if directory.endswith((".wants", ".requires", ".upholds")) and is_unit_name(name):
            return scope, "unit", name
        if directory.endswith(".d") and is_unit_name(directory[:-2]):
            return scope, "dropin", directory[:-2]
    return None


def scan_contents(lines, found):
    """Add the unit names of an iterable of Contents lines to ``found``.

    ``found`` maps (scope, kind) to {unit name: set of packages}.
    """
    for line in lines:
        if "systemd/" not in line and SYSV_DIRECTORY not in line:
            continue
        parsed = parse_contents_line(line)
        if parsed is None:
            continue
        path, packages = parsed
        classified = classify_path(path)
        if classified is None:
            continue
        scope, kind, name = classified
        found.setdefault((scope, kind), {}).setdefault(name, set()).update(packages)
    return found


def parse_release_file(text):
    """The top-level fields of a Release file (Codename, Version, Date, Suite...)."""
    fields = {}
    for line in text.splitlines():
        if not line or line[0].isspace() or ":" not in line:
            continue
        key, value = line.split(":", 1)
        fields[key] = value.strip()
    return fields


def apt_mirror(root="/"):
    """The first Debian archive URI in this machine's apt sources (not a security one).

    Reads both formats: one-line ``deb URI SUITE COMPONENTS`` in sources.list and
    ``*.list``, and deb822 stanzas in ``*.sources``. Returns None if none is found.
    """
    etc = os.path.join(root, "etc", "apt")
    candidates = []
    for path in [os.path.join(etc, "sources.list")] + sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.list"))):
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            continue
        for line in text.splitlines():
            words = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
            if len(words) >= 4 and words[0] == "deb":
                candidates.append((words[1], words[2:3], words[3:]))
    for path in sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.sources"))):
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            continue
        for stanza in re.split(r"\n\s*\n", text):
            fields = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[0].isspace():
                    continue
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.split()
            if "deb" not in fields.get("types", []) or fields.get("enabled", ["yes"]) == ["no"]:
                continue
            for uri in fields.get("uris", []):
                candidates.append((uri, fields.get("suites", []), fields.get("components", [])))
    for uri, suites, components in candidates:
        if "main" in components and not any(suite.endswith("-security") or "/" in suite for suite in suites):
            return uri.rstrip("/")
    return None


def open_url(url):
    """A binary stream of a URL (http, https or file)."""
    # The mirror is whatever the caller or apt's configuration names.
    return urllib.request.urlopen(url, timeout=120)  # noqa: S310 pylint: disable=consider-using-with


def read_contents(url):
    """Stream and decompress one Contents-*.gz, yielding its lines as text."""
    with open_url(url) as response:
        with gzip.GzipFile(fileobj=response) as unpacked:
            yield from io.TextIOWrapper(unpacked, encoding="utf-8", errors="replace")


def build_release(mirror, suite, components=COMPONENTS, architectures=ARCHITECTURES, log=None):
    """Read one release's Release file and Contents indexes.

    Returns (source, found): a description of what was read, and the map that
    scan_contents fills. A missing Contents file (a component without one) is
    recorded in the source as skipped; a missing Release file is an error.
    """
    with open_url("%s/dists/%s/Release" % (mirror, suite)) as response:
        release = parse_release_file(response.read().decode("utf-8", "replace"))
    found = {}
    read = []
    skipped = []
    for component in components:
        for architecture in architectures:
            relative = "dists/%s/%s/Contents-%s.gz" % (suite, component, architecture)
            started = time.monotonic()
            try:
                scan_contents(read_contents("%s/%s" % (mirror, relative)), found)
            except urllib.error.HTTPError as error:
                if error.code != 404:
                    raise
                skipped.append(relative)
                continue
            except urllib.error.URLError as error:
                # file:// URLs report a missing file this way.
                if not isinstance(error.reason, FileNotFoundError):
                    raise
                skipped.append(relative)
                continue
            read.append(relative)
            if log:
                log("%s: %.1f s" % (relative, time.monotonic() - started))
    sysv = found.pop(("system", "sysv"), {})
    generator = found.pop(("system", "sysv-generator"), {})
    if generator:
        # The release's systemd turns the scripts into services: they are names its packages ship.
        units = found.setdefault(("system", "unit"), {})
        for name, packages in sysv.items():
            units.setdefault(name, set()).update(packages)
    source = {
        "release": release.get("Codename", suite),
        "suite": release.get("Suite", suite),
        "version": release.get("Version"),
        "date": release.get("Date"),
        "archive": release.get("Origin", "Debian"),
        "components": list(components),
        "architectures": list(architectures),
        "contents": read,
        "missing": skipped,
        "sysv_scripts": len(sysv) if generator else 0,
    }
    return source, found


def encode_index(releases):
    """The index document: releases [(source, found)] -> a dict that serialize_index writes.

    Each name maps, per scope and kind, to a list of [release bitmask, package...],
    one entry per distinct set of packages, in the order of the releases.
    """
    tables = {}
    for position, (_source, found) in enumerate(releases):
        for (scope, kind), names in found.items():
            table = tables.setdefault("%s_%s" % (scope, kind), {})
            for name, owners in names.items():
                owned = tuple(sorted(owners))
                entries = table.setdefault(name, {})
                entries[owned] = entries.get(owned, 0) | (1 << position)
    document = {"format": 1, "releases": [source for source, _found in releases]}
    for key in ("system_unit", "user_unit", "system_dropin", "user_dropin"):
        document[key] = {
            name: [[mask] + list(owned) for owned, mask in sorted(entries.items(), key=lambda item: (item[1], item[0]))]
            for name, entries in sorted(tables.get(key, {}).items())
        }
    return document


def serialize_index(document):
    """The document as the text that unit_index.parse_index reads.

    One line per name (``NAME MASK:PACKAGE,PACKAGE MASK:PACKAGE``) under a
    ``table KEY`` line, after the releases as JSON: plain text compresses better
    than JSON with numbered packages (about 29 KB against 39 KB with zlib).
    """
    lines = ["sysguard-unit-index %d" % document["format"]]
    lines += ["release " + json.dumps(source, sort_keys=True) for source in document["releases"]]
    for key in ("system_unit", "user_unit", "system_dropin", "user_dropin"):
        lines.append("table " + key)
        for name, entries in document[key].items():
            lines.append(" ".join([name] + ["%d:%s" % (entry[0], ",".join(entry[1:])) for entry in entries]))
    return "\n".join(lines) + "\n"


def render_module(document, built):
    """The text of the generated module_utils file."""
    payload = zlib.compress(serialize_index(document).encode("utf-8"), 9)
    encoded = base64.b64encode(payload).decode("ascii")
    chunks = [encoded[start:start + 100] for start in range(0, len(encoded), 100)]
    summary = []
    for position, source in enumerate(document["releases"]):
        counts = [
            sum(1 for entries in document.get(key, {}).values() if any(entry[0] & (1 << position) for entry in entries))
            for key in ("system_unit", "user_unit")
        ]
        summary.append("#   %s %s, Release file of %s: %d system and %d user unit names," % (
            source["release"], source["version"] or "(testing)", source["date"], counts[0], counts[1]))
        summary.append("#     from %s in %s" % (
            ", ".join("Contents-%s.gz" % architecture for architecture in source["architectures"]),
            ", ".join(source["components"])))
    lines = [
        "# Copyright: sysguard.systemd contributors",
        "# GNU General Public License v3.0+ (see LICENSE)",
        "# GENERATED by tools/build_unit_index.py on %s; do not edit. Rebuild with" % built,
        "# `python tools/build_unit_index.py`. Sources, from the Debian archive:",
    ] + summary + [
        '"""Unit names that Debian\'s packages ship; read it through unit_index."""',
        "",
        "from __future__ import annotations",
        "",
        "BUILT = %r" % built,
        "# zlib-compressed text (see unit_index.parse_index), base64; its release lines say what was read.",
        "DATA = (",
    ] + ['    "%s"' % chunk for chunk in chunks] + [")", ""]
    return "\n".join(lines)


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--mirror", help="Debian archive base URL (default: the first one in apt's sources)")
    parser.add_argument("--release", action="append", dest="releases",
                        help="release codename; repeat for several (default: %s)" % " ".join(RELEASES))
    parser.add_argument("--component", action="append", dest="components",
                        help="archive component; repeat (default: %s)" % " ".join(COMPONENTS))
    parser.add_argument("--architecture", default="amd64", help="architecture besides 'all' (default: amd64)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="generated module (default: %(default)s)")
    parser.add_argument("--date", help="build date to record (default: today, UTC)")
    args = parser.parse_args(argv)

    mirror = args.mirror or apt_mirror()
    if not mirror:
        parser.error("no Debian archive found in apt's sources; give --mirror")
    mirror = mirror.rstrip("/")

    def log(message):
        print(message, file=sys.stderr)

    started = time.monotonic()
    releases = []
    for suite in args.releases or RELEASES:
        releases.append(build_release(
            mirror, suite, args.components or COMPONENTS, (args.architecture, "all"), log=log))
    document = encode_index(releases)
    built = args.date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    text = render_module(document, built)
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(text)
    log("wrote %s: %d bytes, %.1f s" % (args.output, len(text), time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
