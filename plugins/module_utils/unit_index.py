# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Which package ships a unit name, and what a mistyped name was meant to be.

Reads the index that tools/build_unit_index.py generates from Debian's Contents
indexes (unit_index_data). All of it is pure: no file is read but the data given.

- ``UnitIndex.lookup(name)``: the packages that ship a name, per release, or that
  it is unknown. An instance (``getty@tty1.service``) is known through its template.
- ``UnitIndex.suggest(name)``: the closest known names, same unit type only.
- ``parse_os_release(text)`` and ``debian_release(...)``: whether a host is Debian,
  and which release, from the text of ``/etc/os-release``.

The index knows the names packages ship as files or links, and names that packages
ship drop-ins for; it does not know names that only an ``Alias=`` line inside a
unit file creates (``bind9.service`` for bind9's ``named.service``).
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections import Counter, namedtuple

UNIT_TYPES = (
    "service", "socket", "target", "device", "mount", "automount",
    "swap", "timer", "path", "slice", "scope",
)

# Debian's release numbers for the codenames the index may hold.
DEBIAN_VERSIONS = {
    "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14", "duke": "15",
}

Lookup = namedtuple("Lookup", ["unit", "status", "packages", "via", "referenced_by"])
"""What the index says of one unit name.

``status`` is ``known`` (a package ships the name, or its template for an
instance), ``referenced`` (no package ships it, but one ships a drop-in for it,
so the name is real somewhere: usually an ``Alias=``, as freedombox's drop-in for
``bind9.service``) or ``unknown``. ``packages`` maps release -> sorted package
names that ship it, ``via`` is ``name`` or ``template``. ``referenced_by`` maps
release -> packages that ship a drop-in for the name.
"""

Suggestion = namedtuple("Suggestion", ["unit", "reason", "packages"])
"""A known name offered for an unknown one.

``reason`` is ``spelling`` (a few letters apart), ``suffix`` (the name is the end
of a known one, as ``journald`` of ``systemd-journald``), ``package`` (the name is
close to a package's, and the package ships this unit) or ``dropin`` (a package
ships a drop-in for that name). ``packages``: the packages behind it, all releases.
"""


def _stem_and_type(name):
    """Split ``foo@.service`` into (``foo@``, ``service``)."""
    stem, dot, unit_type = name.rpartition(".")
    if not dot or unit_type not in UNIT_TYPES:
        return name, ""
    return stem, unit_type


def _template_of(name):
    """The template of an instance name, or None."""
    stem, unit_type = _stem_and_type(name)
    if "@" not in stem or stem.endswith("@"):
        return None
    return "%s@.%s" % (stem.split("@", 1)[0], unit_type)


def edit_distance(first, second, limit):
    """Damerau-Levenshtein distance (adjacent transpositions count once), capped.

    Returns ``limit + 1`` as soon as the distance is known to exceed ``limit``.
    """
    if abs(len(first) - len(second)) > limit:
        return limit + 1
    previous2 = None
    previous = list(range(len(second) + 1))
    for row, char in enumerate(first, 1):
        current = [row] + [0] * len(second)
        for column, other in enumerate(second, 1):
            cost = 0 if char == other else 1
            best = min(previous[column] + 1, current[column - 1] + 1, previous[column - 1] + cost)
            if (previous2 is not None and row > 1 and column > 1
                    and char == second[column - 2] and first[row - 2] == other):
                best = min(best, previous2[column - 2] + 1)
            current[column] = best
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def _limit_for(stem):
    """How many edits a name of this length may be from what was meant."""
    return 1 if len(stem) <= 4 else 2


def _bigrams(text):
    padded = "^%s$" % text
    return {padded[position:position + 2] for position in range(len(padded) - 1)}


class _Matcher:
    """Strings a few edits from a query, without comparing the query to all of them.

    An edit (or a transposition) removes at most three of the query's bigrams, so a
    string ``limit`` edits away shares all but ``3 * limit`` of them; an index from
    bigram to strings finds those, and only they are measured. Short queries, for
    which that bound says nothing, are measured against strings of a close length.
    """

    def __init__(self, strings):
        self.strings = list(strings)
        self._postings = {}
        self._by_length = {}
        for number, text in enumerate(self.strings):
            for bigram in _bigrams(text):
                self._postings.setdefault(bigram, []).append(number)
            self._by_length.setdefault(len(text), []).append(number)

    def near(self, query, limit):
        """[(distance, string)] for the strings at most ``limit`` edits from ``query``."""
        grams = _bigrams(query)
        needed = len(grams) - 3 * limit
        if needed > 0:
            shared = Counter()
            for bigram in grams:
                shared.update(self._postings.get(bigram, ()))
            numbers = [number for number, count in shared.items() if count >= needed]
        else:
            numbers = [
                number
                for length in range(len(query) - limit, len(query) + limit + 1)
                for number in self._by_length.get(length, ())
            ]
        found = []
        for number in numbers:
            distance = edit_distance(query, self.strings[number], limit)
            if distance <= limit:
                found.append((distance, self.strings[number]))
        return found


def parse_index(text):
    """Read the index text that tools/build_unit_index.py writes into a document.

    The document: ``format``, ``releases`` (what was read, one dict per release)
    and four tables, ``system_unit``, ``user_unit``, ``system_dropin`` and
    ``user_dropin``, each name -> [[release bitmask, package, ...], ...].
    """
    lines = text.splitlines()
    header = lines[0].split() if lines else []
    if len(header) != 2 or header[0] != "sysguard-unit-index":
        raise ValueError("unit index: not an index")
    document = {"format": int(header[1]), "releases": []}
    table = None
    for line in lines[1:]:
        word, space, rest = line.partition(" ")
        if word == "release" and table is None:
            document["releases"].append(json.loads(rest))
        elif word == "table":
            table = document.setdefault(rest, {})
        elif table is not None and space:
            entries = []
            for entry in rest.split(" "):
                mask, colon, packages = entry.partition(":")
                if not colon:
                    raise ValueError("unit index: bad entry for %s" % word)
                entries.append([int(mask)] + packages.split(","))
            table[word] = entries
        else:
            raise ValueError("unit index: bad line %r" % line)
    return document


class UnitIndex:
    """The decoded index: unit names -> packages, per release and scope."""

    def __init__(self, document):
        if document.get("format") != 1:
            raise ValueError("unit index: unknown format %r" % document.get("format"))
        self.sources = document["releases"]
        self.releases = [source["release"] for source in self.sources]
        self._tables = {
            key: document.get(key, {})
            for key in ("system_unit", "user_unit", "system_dropin", "user_dropin")
        }
        self._by_type = {}
        self._by_package = {}
        self._package_matchers = {}

    @classmethod
    def from_blob(cls, blob):
        """Decode the base64 zlib text that the generated module holds."""
        return cls(parse_index(zlib.decompress(base64.b64decode(blob)).decode("utf-8")))

    def _per_release(self, entries, release=None):
        """[[mask, package...]] -> {release: sorted package names}, one release or all."""
        result = {}
        for entry in entries:
            for position, name in enumerate(self.releases):
                if entry[0] & (1 << position) and (release is None or release == name):
                    result.setdefault(name, set()).update(entry[1:])
        return {name: sorted(packages) for name, packages in result.items()}

    def names(self, scope="system"):
        """Every unit name the index knows in a scope (any release)."""
        return self._tables["%s_unit" % scope].keys()

    def lookup(self, unit, release=None, scope="system"):
        """What the index says of ``unit`` (a full unit name), in one release or any."""
        units = self._tables["%s_unit" % scope]
        dropins = self._tables["%s_dropin" % scope]
        referenced = self._per_release(dropins.get(unit, []), release)
        packages = self._per_release(units.get(unit, []), release)
        if packages:
            return Lookup(unit, "known", packages, "name", referenced)
        template = _template_of(unit)
        if template is not None:
            packages = self._per_release(units.get(template, []), release)
            if packages:
                return Lookup(unit, "known", packages, "template", referenced)
        if referenced:
            return Lookup(unit, "referenced", {}, None, referenced)
        return Lookup(unit, "unknown", {}, None, referenced)

    def _matcher(self, kind, unit_type, scope):
        """A _Matcher over the stems of known names of one type (cached)."""
        key = (kind, unit_type, scope)
        if key not in self._by_type:
            stems = {}
            for name in self._tables["%s_%s" % (scope, kind)]:
                stem, known_type = _stem_and_type(name)
                if known_type == unit_type:
                    stems[stem] = name
            self._by_type[key] = (_Matcher(sorted(stems)), stems)
        return self._by_type[key]

    def _packages_units(self, scope):
        """Package name -> the unit names it ships (any release), built once."""
        if scope not in self._by_package:
            owned = self._by_package[scope] = {}
            for name, entries in self._tables["%s_unit" % scope].items():
                for entry in entries:
                    for package in entry[1:]:
                        owned.setdefault(package, set()).add(name)
        return self._by_package[scope]

    def _all_packages(self, name, scope, kind="unit"):
        packages = set()
        for entry in self._tables["%s_%s" % (scope, kind)].get(name, []):
            packages.update(entry[1:])
        return sorted(packages)

    def suggest(self, unit, limit=3, scope="system"):
        """Known names close to ``unit``, best first, at most ``limit``.

        Only names of the same unit type are offered. Ranked by: a spelling a
        few edits away; the name as the last words of a known one
        (``journald.service`` -> ``systemd-journald.service``); a package whose
        name is that close (its units); a name a package ships a drop-in for.
        For an instance, the suggestions are for its template, with the same
        instance (``gety@tty1.service`` -> ``getty@tty1.service``).
        """
        stem, unit_type = _stem_and_type(unit)
        if not unit_type:
            return []
        template = _template_of(unit)
        if template is not None:
            instance = stem.split("@", 1)[1]
            return [
                Suggestion("%s%s.%s" % (_stem_and_type(found.unit)[0], instance, unit_type), found.reason, found.packages)
                for found in self.suggest(template, limit=limit, scope=scope)
                if _stem_and_type(found.unit)[0].endswith("@")
            ]
        allowed = _limit_for(stem)
        ranked = []
        matcher, stems = self._matcher("unit", unit_type, scope)
        for distance, known_stem in matcher.near(stem, allowed):
            ranked.append((0, distance, len(stems[known_stem]), stems[known_stem], "spelling"))
        if len(stem) >= 4:
            ending = "-" + stem
            for known_stem in matcher.strings:
                if known_stem.endswith(ending):
                    ranked.append((1, 0, len(stems[known_stem]), stems[known_stem], "suffix"))
        plain = stem.rstrip("@")
        if "@" not in stem and len(plain) >= 3:
            owned = self._packages_units(scope)
            if scope not in self._package_matchers:
                self._package_matchers[scope] = _Matcher(sorted(owned))
            for distance, package in self._package_matchers[scope].near(plain, _limit_for(plain)):
                for name in owned[package]:
                    if _stem_and_type(name)[1] == unit_type and "@" not in name:
                        ranked.append((2, distance, len(name), name, "package"))
        matcher, stems = self._matcher("dropin", unit_type, scope)
        units = self._tables["%s_unit" % scope]
        for distance, known_stem in matcher.near(stem, allowed):
            if stems[known_stem] not in units:
                ranked.append((2, distance, len(stems[known_stem]), stems[known_stem], "dropin"))
        ranked = [rank for rank in ranked if rank[3] != unit]
        seen = set()
        result = []
        for rank in sorted(ranked):
            name, reason = rank[3], rank[4]
            if name in seen:
                continue
            seen.add(name)
            kind = "dropin" if reason == "dropin" else "unit"
            result.append(Suggestion(name, reason, self._all_packages(name, scope, kind)))
            if len(result) == limit:
                break
        return result


_LOADED = []


def load_index():
    """The index shipped with the collection, decoded once per process."""
    if not _LOADED:
        # Imported here so that importing unit_index costs no decoding. AnsiballZ
        # still ships the data with any module that imports unit_index (its
        # dependency finder reads imports inside functions too).
        from ansible_collections.sysguard.systemd.plugins.module_utils import unit_index_data  # pylint: disable=import-outside-toplevel
        _LOADED.append(UnitIndex.from_blob(unit_index_data.DATA))
    return _LOADED[0]


def parse_os_release(text):
    """The fields of an os-release file as a dict, values unquoted.

    Follows os-release(5): KEY=VALUE lines, values optionally in single or double
    quotes, with backslash escapes inside double quotes; comments and blank lines
    ignored.
    """
    fields = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip()
        if not re.match(r"^[A-Z0-9_]+$", key):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            quote = value[0]
            value = value[1:-1]
            if quote == '"':
                value = re.sub(r'\\([\\$"`])', r"\1", value)
        fields[key] = value
    return fields


DebianRelease = namedtuple("DebianRelease", ["is_debian", "codename", "version", "testing"])
"""Whether the host is Debian itself, and which release.

``codename`` from VERSION_CODENAME (or the VERSION text), ``version`` the major
number (VERSION_ID, or from the codename when the index knows it), ``testing``
True when os-release gives no VERSION_ID, as Debian testing and unstable do.
"""


def debian_release(fields):
    """Read a parsed os-release: Debian, and which release, or not Debian.

    Only ``ID=debian`` counts: derivatives (Ubuntu, Raspberry Pi OS says
    ``ID=raspbian``) ship other packages, even where ``ID_LIKE`` names Debian.
    """
    if fields.get("ID") != "debian":
        return DebianRelease(False, None, None, False)
    codename = fields.get("VERSION_CODENAME") or None
    if codename is None:
        match = re.search(r"\(([a-z]+)\)", fields.get("VERSION", ""))
        codename = match.group(1) if match else None
    version = fields.get("VERSION_ID") or None
    testing = version is None
    if version is None and codename in DEBIAN_VERSIONS:
        version = DEBIAN_VERSIONS[codename]
    if version is not None:
        version = version.split(".", 1)[0]
    return DebianRelease(True, codename, version, testing)
