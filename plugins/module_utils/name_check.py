# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Whether a name asked to be masked is a unit anything ships.

Masking a name that nothing ships works, and protects nothing: a typo
(``ngnix.service``) passes every run and every audit while nginx stays free to
start. A name counts as real when the host has it (a unit file, an alias, an
instance's template, a vendor's mask, a generated unit or a SysV script the
generator turns into one, or the manager loads it), or, on Debian, when a
package ships it (the unit index). Anything else is unknown, with the closest
known names as suggestions.

Pure but for ``read_os_release`` and ``has_sysv_script``, which read the
scope's tree.
"""

from __future__ import annotations

import posixpath
from collections import namedtuple

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_index import (
    debian_release,
    parse_os_release,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import UnitTreeError
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import is_instance, template_of

CHOICES = ("warn", "fail", "ignore")

# Where os-release(5) says to look, in order.
OS_RELEASE_PATHS = ("/etc/os-release", "/usr/lib/os-release")
# SysV scripts that systemd-sysv-generator turns into units, where the tree's
# systemd still has it (258 and later do not).
SYSV_DIR = "/etc/init.d"
SYSV_GENERATORS = ("/usr/lib/systemd/system-generators/systemd-sysv-generator",
                   "/lib/systemd/system-generators/systemd-sysv-generator")

NameCheck = namedtuple("NameCheck", ["unit", "status", "packages", "suggestions"])
"""What is known of one unit name.

``status``: ``installed`` (the host has it), ``packaged`` (not installed, and a
Debian package ships it; ``packages`` maps release -> package names),
``referenced`` (a package ships a drop-in for it, so the name is real
somewhere, though which package owns the unit is not known), ``unknown``
(``suggestions``: the closest known names) or ``not_checked`` (not installed,
on a host that is not Debian, whose packages the index does not know).
"""

IndexUse = namedtuple("IndexUse", ["used", "release", "reason"])
"""Whether the unit index was consulted for this host, the Debian release it
was read for (None: every release it holds), and otherwise why not."""


def read_os_release(tree):
    """The fields of the tree's os-release (the host's or the root tree's); {} if it has none."""
    for path in OS_RELEASE_PATHS:
        try:
            resolved = tree.resolve(path)
            with open(tree.host_path(resolved), encoding="utf-8", errors="replace") as handle:
                return parse_os_release(handle.read())
        except (OSError, UnitTreeError):
            continue
    return {}


def has_sysv_script(tree, unit):
    """Whether ``unit`` is a service that a SysV script in the tree becomes."""
    prefix, _dot, unit_type = unit.rpartition(".")
    if unit_type != "service" or "@" in prefix:
        return False
    # The generator drops a script's .sh: /etc/init.d/hwclock.sh is hwclock.service.
    scripts = (posixpath.join(SYSV_DIR, prefix), posixpath.join(SYSV_DIR, prefix + ".sh"))
    return any(_exists(tree, s) for s in scripts) and any(_exists(tree, g) for g in SYSV_GENERATORS)


def _exists(tree, path):
    try:
        return tree.lstat(tree.resolve(path)) is not None
    except UnitTreeError:
        return False


def is_installed(state, tree, scope):
    """Whether the host has the unit ``state`` describes, beneath any mask of its own.

    The administrator's and the runtime mask at the name are looked through: a
    typo stays a typo once it is masked. A SysV script counts for the system
    scope, where the generator makes a unit of it (under ``root``, where no
    generator has run yet, as much as on a running host).
    """
    if state.load_state == "loaded":
        return True
    beneath = tree
    # An instance is looked up through its template, whose own masks are looked through as well.
    for name in (state.unit, template_of(state.unit)) if is_instance(state.unit) else (state.unit,):
        beneath = beneath.without_entry(scope.persistent_dir, name).without_entry(scope.runtime_dir, name)
    if beneath.lookup(state.unit).fragment is not None:
        return True
    return scope.name == "system" and has_sysv_script(scope.tree, state.unit)


def index_use(os_release, load_index):
    """How the index applies to a host with these os-release fields: (IndexUse,
    the UnitIndex or None). ``load_index`` is called only for a Debian host."""
    release = debian_release(os_release)
    if not release.is_debian:
        name = os_release.get("PRETTY_NAME") or os_release.get("ID") or "no os-release"
        return IndexUse(False, None, "the host is not Debian (%s); the unit index only knows Debian's "
                        "packages" % name), None
    index = load_index()
    if release.codename in index.releases:
        return IndexUse(True, release.codename, None), index
    return IndexUse(True, None, None), index


def index_from(index_loader=None):
    """The unit index: ``index_loader()``, or by default the one the collection ships."""
    if index_loader is not None:
        return index_loader()
    # Imported here so that a run that needs no index decodes none.
    from ansible_collections.sysguard.systemd.plugins.module_utils.unit_index import load_index  # pylint: disable=import-outside-toplevel
    return load_index()


def check_names(states, installed, use, index, index_scope="system"):
    """The NameCheck of each state's unit, in order.

    ``installed`` maps unit -> whether the host has it; ``use`` is the
    IndexUse; ``index`` a UnitIndex, or None where ``use`` says not to read
    it; ``index_scope`` the index's table: ``system``, or ``user`` for the
    units of users' managers (the user and global scopes).
    """
    checks = []
    for state in states:
        unit = state.unit
        if installed[unit]:
            checks.append(NameCheck(unit, "installed", {}, []))
            continue
        if not use.used:
            checks.append(NameCheck(unit, "not_checked", {}, []))
            continue
        found = index.lookup(unit, release=use.release, scope=index_scope)
        if found.status == "unknown" and use.release is not None:
            found = index.lookup(unit, scope=index_scope)  # shipped by another release: a real name all the same
        if found.status == "known":
            checks.append(NameCheck(unit, "packaged", found.packages, []))
        elif found.status == "referenced":
            checks.append(NameCheck(unit, "referenced", found.referenced_by, []))
        else:
            suggestions = index.suggest(unit, scope=index_scope)
            checks.append(NameCheck(unit, "unknown", {}, [s.unit for s in suggestions]))
    return checks


def unknown_message(checks, asked):
    """One sentence naming every unknown name, as asked, with its suggestions.

    ``asked`` maps unit -> the name the user wrote.
    """
    parts = []
    for check in checks:
        if check.status != "unknown":
            continue
        name = asked.get(check.unit, check.unit)
        if check.suggestions:
            parts.append("%s (did you mean %s?)" % (name, " or ".join(check.suggestions)))
        else:
            parts.append("%s (no close name known)" % name)
    if not parts:
        return None
    return ("unknown unit name%s, not installed and shipped by no Debian package the unit index "
            "knows, so a mask there protects nothing: %s. Fix the name, or set unknown_names=ignore "
            "for a unit that comes from outside Debian" % ("" if len(parts) == 1 else "s", "; ".join(parts)))


def summary(check):
    """The name check as reported in a unit's result entry."""
    entry = {"status": check.status}
    if check.packages:
        entry["packages"] = check.packages
    if check.status == "unknown":
        entry["suggestions"] = list(check.suggestions)
    return entry
