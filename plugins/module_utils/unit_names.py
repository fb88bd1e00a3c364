# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Unit names as users write them, checked the way systemd checks them.

systemctl quietly rewrites what it cannot use: ``bad name`` becomes
``bad\\x20name.service`` and a path becomes a device or mount unit. A mask under a
rewritten name protects nothing, so names are checked here and refused instead.
"""

from __future__ import annotations

import re
from collections import namedtuple

# The unit types systemd loads from unit files, and so can mask.
UNIT_TYPES = (
    "service", "socket", "target", "device", "mount", "automount",
    "swap", "timer", "path", "slice", "scope",
)

# systemd's UNIT_NAME_MAX is 256 including the terminating NUL.
MAX_UNIT_NAME_LENGTH = 255

# Characters systemd accepts in a unit name; anything else it escapes.
_NAME_CHARACTERS = re.compile(r"^[A-Za-z0-9:_.\\@-]+$")
# The two units whose names start with "-": the root mount and the root slice.
_NAMES_STARTING_WITH_DASH = ("-.mount", "-.slice")

UnitName = namedtuple("UnitName", ["asked", "unit", "kind"])
"""A requested name: as the user wrote it, the full unit name, and its kind.

``kind`` is ``plain``, ``template`` (``foo@.service``) or ``instance``
(``foo@bar.service``).
"""


class InvalidUnitName(ValueError):
    """One requested name that systemd would refuse or rewrite."""

    def __init__(self, name, reason):
        super().__init__("%r: %s" % (name, reason))
        self.name = name
        self.reason = reason


def parse_unit_name(name):
    """Return the UnitName for ``name``, or raise InvalidUnitName.

    A name without a known type suffix means a ``.service``, as with systemctl.
    """
    if not isinstance(name, str) or name == "":
        raise InvalidUnitName(name, "the name is empty")
    if name.strip() != name:
        raise InvalidUnitName(name, "the name has leading or trailing white space")
    if "/" in name:
        raise InvalidUnitName(name, "a path is not a unit name; give the unit's name, as 'systemctl list-unit-files' shows it")
    if name.startswith("-") and name not in _NAMES_STARTING_WITH_DASH:
        raise InvalidUnitName(name, "the name looks like a command-line option")

    unit = name if _type_of(name) else name + ".service"

    if len(unit) > MAX_UNIT_NAME_LENGTH:
        raise InvalidUnitName(name, "the name is longer than systemd's limit of %d characters" % MAX_UNIT_NAME_LENGTH)
    if not _NAME_CHARACTERS.match(unit):
        bad = sorted(set(c for c in unit if not _NAME_CHARACTERS.match(c)))
        raise InvalidUnitName(
            name,
            "systemd does not accept %s in a unit name (systemctl would silently escape it)"
            % ", ".join(repr(c) for c in bad),
        )

    prefix = unit.rsplit(".", 1)[0]
    if prefix == "" or prefix.startswith("@"):
        raise InvalidUnitName(name, "the name has nothing before its type suffix or '@'")
    if "@" not in prefix:
        return UnitName(name, unit, "plain")
    if prefix.endswith("@") and prefix.count("@") == 1:
        return UnitName(name, unit, "template")
    return UnitName(name, unit, "instance")


def parse_unit_names(names):
    """Parse every name; return (unit names in order, without repeats) or raise.

    All invalid names are reported together, so one run shows every mistake.
    """
    parsed = []
    seen = set()
    invalid = []
    for name in names:
        try:
            unit_name = parse_unit_name(name)
        except InvalidUnitName as exc:
            invalid.append(exc)
            continue
        if unit_name.unit not in seen:
            seen.add(unit_name.unit)
            parsed.append(unit_name)
    if invalid:
        raise InvalidUnitNames(invalid)
    return parsed


class InvalidUnitNames(ValueError):
    """Every invalid name of a request, each with its reason."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__(
            "invalid unit name%s: %s" % (
                "s" if len(errors) > 1 else "",
                "; ".join(str(e) for e in errors),
            )
        )


def _type_of(name):
    if "." not in name:
        return None
    suffix = name.rsplit(".", 1)[1]
    return suffix if suffix in UNIT_TYPES else None


def is_unit_file_name(name):
    """Whether systemd takes a directory entry of this name for a unit.

    Laxer than parse_unit_name, which judges what a user asks for: this is
    systemd's own test, used when reading unit directories.
    """
    if len(name) > MAX_UNIT_NAME_LENGTH or "." not in name:
        return False
    prefix, suffix = name.rsplit(".", 1)
    if suffix not in UNIT_TYPES or not prefix or prefix.startswith("@"):
        return False
    return bool(_NAME_CHARACTERS.match(name))


def is_instance(name):
    """Whether a unit name is an instance of a template: getty@tty1.service."""
    return "@" in name and not name.split("@", 1)[1].startswith(".")


def template_of(name):
    """The template of an instance name: getty@tty1.service -> getty@.service."""
    prefix, rest = name.split("@", 1)
    return "%s@.%s" % (prefix, rest.rsplit(".", 1)[1])
