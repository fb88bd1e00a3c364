# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Where systemd finds a unit: its search path, read from disk, and its lookup rules.

This is the only code that reads unit directories. It answers, for a unit name
in a scope, what systemd's own lookup answers: which file or link wins for the
name, whether that makes the unit masked and by what, whether the name is an
alias of another unit, a linked unit file or an instance of a template.

The rules follow systemd's name map (src/basic/unit-file.c): the search path is
walked in order of precedence and the first valid entry for a name wins; a link
that stays inside the search path (a directory of it as written or as resolved)
is an alias of the unit it names, a link that leaves it is a linked unit file,
and one to a file that does not exist takes the name without loading; a unit
whose file is /dev/null or empty is masked; an instance without a file of its
own uses its template's. Where systemd versions differ, the rules are those of
252 and later; tests/differential checks them against 247, 252, 257 and 262.

Every path is a path inside the scope's tree. Under ``root``, unit links are
resolved inside the tree (an absolute link means the tree's path, as
``systemctl --root`` reads it). What leads out of the tree is refused, so that
nothing outside ``root`` is read as the tree's state: a link that climbs above
it, and a search directory reached through an absolute link, which
``systemctl --root`` would read on the host.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from collections import namedtuple

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import (
    is_instance,
    is_unit_file_name,
    template_of,
)

MASK_TARGET = "/dev/null"

# systemd follows at most this many aliases from a name to its unit file.
_ALIAS_HOPS = 8
# Links followed while resolving one path, as the kernel's limit.
_LINK_HOPS = 40

# Unit types that may have aliases; only these may be templates as well, except device.
_ALIAS_TYPES = ("service", "socket", "target", "device", "timer", "path")
_TEMPLATE_TYPES = ("service", "socket", "target", "timer", "path")

SearchDir = namedtuple("SearchDir", ["path", "layer"])
"""One directory of a scope's unit search path, by its path in the tree, and its layer.

Layers: ``control`` (settings written by `systemctl set-property`), ``transient``,
``generator``, ``persistent`` (the administrator's, where `systemctl mask` writes),
``attached`` (portable services), ``runtime`` (until the next reboot, where
`systemctl mask --runtime` writes), ``vendor`` (what packages ship).
"""

SYSTEM_SEARCH_PATH = (
    SearchDir("/etc/systemd/system.control", "control"),
    SearchDir("/run/systemd/system.control", "control"),
    SearchDir("/run/systemd/transient", "transient"),
    SearchDir("/run/systemd/generator.early", "generator"),
    SearchDir("/etc/systemd/system", "persistent"),
    SearchDir("/etc/systemd/system.attached", "attached"),
    SearchDir("/run/systemd/system", "runtime"),
    SearchDir("/run/systemd/system.attached", "attached"),
    SearchDir("/run/systemd/generator", "generator"),
    SearchDir("/usr/local/lib/systemd/system", "vendor"),
    # Debian before 13 lists /lib/systemd/system as well; where /lib links to
    # /usr/lib (merged /usr) both name the same files.
    SearchDir("/lib/systemd/system", "vendor"),
    SearchDir("/usr/lib/systemd/system", "vendor"),
    SearchDir("/run/systemd/generator.late", "generator"),
)

GLOBAL_SEARCH_PATH = (
    SearchDir("/etc/systemd/user", "persistent"),
    SearchDir("/run/systemd/user", "runtime"),
    SearchDir("/usr/local/share/systemd/user", "vendor"),
    SearchDir("/usr/share/systemd/user", "vendor"),
    SearchDir("/usr/local/lib/systemd/user", "vendor"),
    SearchDir("/usr/lib/systemd/user", "vendor"),
)


def user_search_path(config_home, runtime_dir, data_home):
    """A user manager's search path (systemd.unit(5), user units)."""
    return (
        SearchDir(posixpath.join(config_home, "systemd/user.control"), "control"),
        SearchDir(posixpath.join(runtime_dir, "systemd/user.control"), "control"),
        SearchDir(posixpath.join(runtime_dir, "systemd/transient"), "transient"),
        SearchDir(posixpath.join(runtime_dir, "systemd/generator.early"), "generator"),
        SearchDir(posixpath.join(config_home, "systemd/user"), "persistent"),
        # $XDG_CONFIG_DIRS, by default /etc/xdg.
        SearchDir("/etc/xdg/systemd/user", "vendor"),
        # Unit files for every user outrank a user's own runtime directory.
        SearchDir("/etc/systemd/user", "vendor"),
        SearchDir(posixpath.join(runtime_dir, "systemd/user"), "runtime"),
        SearchDir("/run/systemd/user", "vendor"),
        SearchDir(posixpath.join(runtime_dir, "systemd/generator"), "generator"),
        SearchDir(posixpath.join(data_home, "systemd/user"), "vendor"),
        SearchDir("/usr/local/share/systemd/user", "vendor"),
        SearchDir("/usr/share/systemd/user", "vendor"),
        SearchDir("/usr/local/lib/systemd/user", "vendor"),
        SearchDir("/usr/lib/systemd/user", "vendor"),
        SearchDir(posixpath.join(runtime_dir, "systemd/generator.late"), "generator"),
    )


class UnitTreeError(Exception):
    """A unit directory or link cannot be read safely; ``path`` names it."""

    def __init__(self, path, reason):
        super().__init__("%s: %s" % (path, reason))
        self.path = path
        self.reason = reason


class Tree:
    """The file system a scope lives in: the host's (``root`` = "/") or an OS tree's.

    Paths given to it and returned by it are paths inside the tree; ``host_path``
    turns one into the path to open, after resolving every link inside the tree.
    """

    def __init__(self, root="/"):
        self.root = os.path.normpath(root) if root else "/"

    def host_path(self, path):
        """The host path of the tree path ``path`` (links already resolved)."""
        return path if self.root == "/" else self.root + path

    def resolve(self, path, follow_last=True):
        """Resolve the links in the tree path ``path`` inside the tree.

        An absolute link target is taken from the tree's root; ``..`` never
        leaves it on the host, and under another root a path that would is
        refused. Parts that do not exist are kept as written. Returns the
        resolved tree path.
        """
        pending = _parts(path)
        resolved = []
        hops = 0
        while pending:
            part = pending.pop(0)
            if part == "..":
                if not resolved and self.root != "/":
                    raise UnitTreeError(self.host_path(path), "leads out of root %s" % self.root)
                resolved = resolved[:-1]
                continue
            candidate = "/" + "/".join(resolved + [part])
            if not pending and not follow_last:
                resolved.append(part)
                break
            try:
                info = os.lstat(self.host_path(candidate))
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                    raise UnitTreeError(self.host_path(candidate), exc.strerror)
                resolved.append(part)
                continue
            if not stat.S_ISLNK(info.st_mode):
                resolved.append(part)
                continue
            hops += 1
            if hops > _LINK_HOPS:
                raise UnitTreeError(self.host_path(path), "too many levels of links")
            target = self.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            pending = _parts(target) + pending
        return "/" + "/".join(resolved)

    def readlink(self, path):
        try:
            return os.readlink(self.host_path(path))
        except OSError as exc:
            # The link was removed or replaced between listing and reading it.
            raise UnitTreeError(self.host_path(path), "changed while it was read (%s); run again"
                                % exc.strerror)

    def lstat(self, path):
        """os.lstat of a tree path whose directories are resolved; None if missing."""
        try:
            return os.lstat(self.host_path(path))
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return None
            raise UnitTreeError(self.host_path(path), exc.strerror)

    def is_mask_target(self, path):
        """Whether the tree path ``path``, links followed, is /dev/null or an empty file.

        As systemd does for a tree, /dev/null counts by its path: an OS tree
        that is not running has no device there.
        """
        final = self.resolve(path)
        if final == MASK_TARGET:
            return True
        info = self.lstat(final)
        return info is not None and stat.S_ISREG(info.st_mode) and info.st_size == 0


def _parts(path):
    return [part for part in path.split("/") if part not in ("", ".")]


class Entry(namedtuple("Entry", ["name", "directory", "layer", "kind", "target", "link", "mtime"])):
    """What one directory of the search path holds at one unit name.

    ``kind`` is one of:
    - ``file``: a unit file;
    - ``mask``: a link to /dev/null (absolute or relative), an empty file, or a
      link to an empty file: systemd loads the unit as masked;
    - ``alias``: a link to a unit of another name in the search path; ``target``
      is that name;
    - ``linked``: a link to a unit file outside the search path (what
      `systemctl link` makes); ``target`` is the file's path in the tree;
    - ``dangling``: a link out of the search path to a file that does not
      exist; ``target`` is that path. The name is taken, so nothing further
      down the search path is used, but systemd cannot load it: not found;
    - ``ignored``: a link that systemd skips (to its own name, or an alias it
      cannot use, such as one to a unit of another type); the name is looked up
      further down the search path, but the link is where a mask would go;
    - ``other``: a directory or device, which systemd cannot load.

    ``link`` is the link's text as written, for links; ``mtime`` when the entry
    was last changed.
    """

    __slots__ = ()

    @property
    def path(self):
        return posixpath.join(self.directory, self.name)


class UnitFile(namedtuple("UnitFile", ["name", "own", "chain", "fragment", "unit"])):
    """What systemd's lookup makes of one unit name.

    ``own`` is the entry that wins for the name itself (None when the name has
    none, for instance an instance that uses its template's file). ``chain`` is
    every entry followed from the name to the file systemd loads, ``fragment``
    that last entry (None: the unit is not found). ``unit`` is the name systemd
    loads the unit under: the name itself, or for an alias the unit it names.
    """

    __slots__ = ()

    @property
    def masked(self):
        return self.fragment is not None and self.fragment.kind == "mask"

    @property
    def load_state(self):
        if self.fragment is None:
            return "not-found"
        return "masked" if self.masked else "loaded"

    @property
    def alias_of(self):
        """The unit this name is an alias of, or None."""
        return self.unit if self.unit != self.name else None


class UnitTree:
    """The entries of a scope's search path, read once; lookups are pure.

    ``entries`` maps each directory of ``search_path`` to {name: Entry}.
    ``with_entry`` and ``without_entry`` give the tree as it would be after a
    change, which is how a plan predicts systemd's answer.
    """

    def __init__(self, search_path, entries):
        self.search_path = tuple(search_path)
        self.entries = entries

    @classmethod
    def read(cls, search_path, tree):
        """Read every directory of ``search_path`` in ``tree`` (a Tree)."""
        return cls(search_path, _read_directories(tree, search_path, search_path))

    def reread(self, tree, layers):
        """This tree with the directories of ``layers`` read again from ``tree``.

        After a change, only the layers it can have written need reading:
        vendor directories, the largest by far, belong to packages.
        """
        again = [d for d in self.search_path if d.layer in layers]
        entries = dict(self.entries)
        entries.update(_read_directories(tree, again, self.search_path))
        return UnitTree(self.search_path, entries)

    def entry(self, directory, name):
        return self.entries.get(directory, {}).get(name)

    def with_entry(self, entry):
        entries = dict(self.entries)
        entries[entry.directory] = dict(entries.get(entry.directory, {}), **{entry.name: entry})
        return UnitTree(self.search_path, entries)

    def without_entry(self, directory, name):
        entries = dict(self.entries)
        entries[directory] = dict((k, v) for k, v in entries.get(directory, {}).items() if k != name)
        return UnitTree(self.search_path, entries)

    def winner(self, name):
        """The entry that wins for ``name``: the first in the search path that systemd uses."""
        for directory in self.search_path:
            found = self.entries.get(directory.path, {}).get(name)
            if found is not None and found.kind != "ignored":
                return found
        return None

    def lookup(self, name):
        """What systemd loads for the unit name ``name``: a UnitFile."""
        own = self.winner(name)
        chain = self._follow(name)
        if not chain and "@" in name and not name.split("@", 1)[1].startswith("."):
            # An instance without a file of its own is loaded from its template.
            chain = self._follow(template_of(name))
        fragment = chain[-1] if chain and chain[-1].kind not in ("alias", "dangling") else None
        if fragment is None:
            return UnitFile(name, own, tuple(chain), None, name)
        return UnitFile(name, own, tuple(chain), fragment, _unit_name(name, fragment))

    def _follow(self, name):
        chain = []
        current = name
        for _hop in range(_ALIAS_HOPS):
            found = self.winner(current)
            if found is None and chain and is_instance(current):
                # An alias to an instance may be served by the instance's template.
                found = self.winner(template_of(current))
            if found is None:
                # Nothing at this name: not found, or an alias whose unit is missing.
                return chain
            chain.append(found)
            if found.kind != "alias":
                return chain
            current = found.target
        return chain  # a loop of aliases: systemd gives up, and so the unit is not found

    def names(self):
        """Every unit name with an entry somewhere in the search path."""
        seen = set()
        for directory in self.search_path:
            seen.update(self.entries.get(directory.path, {}))
        return sorted(seen)


def _unit_name(name, fragment):
    """The name systemd loads ``name`` under once it found ``fragment``."""
    base = fragment.name
    if base.split("@", 1)[-1].startswith(".") and "@" in base and is_instance(name):
        # A template's file serving an instance: the instance keeps its instance part.
        instance = name.split("@", 1)[1].rsplit(".", 1)[0]
        prefix, suffix = base.split("@", 1)
        return "%s@%s%s" % (prefix, instance, suffix)
    return base


def _read_directories(tree, directories, search_path):
    """{directory path: {name: Entry}} for each of ``directories``.

    A directory reached by two paths of the search path (/lib/systemd/system
    and /usr/lib/systemd/system where /lib links to /usr/lib) is read once:
    its entries are the same under either path but for where they are.
    """
    reader = _DirectoryReader(tree, search_path)
    entries = {}
    read_before = {}
    for directory in directories:
        found = reader.open(directory)
        if found is None:
            entries[directory.path] = {}
            continue
        resolved, identity = found
        if identity in read_before:
            entries[directory.path] = dict(
                (name, entry._replace(directory=directory.path, layer=directory.layer))
                for name, entry in read_before[identity].items())
            continue
        entries[directory.path] = read_before[identity] = reader.read(directory, resolved)
    return entries


class _DirectoryReader:
    """Reads search directories of one tree, as one snapshot.

    Hundreds of vendor links point into the same few directories: how each
    directory resolves, and where each search directory really is, is worked
    out once per read rather than once per link.
    """

    def __init__(self, tree, search_path):
        self.tree = tree
        self.search_path = search_path
        self._resolved_dirs = {}
        self._search_prefixes = None

    def open(self, directory):
        """(resolved tree path, identity on disk) of a search directory; None if absent."""
        tree = self.tree
        resolved = tree.resolve(directory.path)
        host_view = os.path.realpath(tree.host_path(directory.path))
        if tree.root != "/" and host_view != os.path.realpath(tree.host_path(resolved)):
            # systemctl --root opens its search directories by their path on the host:
            # through an absolute link it reads the host's directory, not the tree's.
            raise UnitTreeError(tree.host_path(directory.path),
                                "leads out of root %s through a link: systemctl --root reads %s"
                                % (tree.root, host_view))
        info = tree.lstat(resolved)
        if info is None:
            return None
        if not stat.S_ISDIR(info.st_mode):
            raise UnitTreeError(tree.host_path(directory.path),
                                "is not a directory, but systemd looks for units there")
        return resolved, (info.st_dev, info.st_ino)

    def read(self, directory, resolved):
        """{name: Entry} for the valid unit names in one search directory."""
        try:
            with os.scandir(self.tree.host_path(resolved)) as listing:
                found = [item for item in listing if is_unit_file_name(item.name)]
        except OSError as exc:
            raise UnitTreeError(self.tree.host_path(directory.path), exc.strerror)
        entries = {}
        for item in found:
            entry = self._entry(directory, resolved, item)
            if entry is not None:
                entries[item.name] = entry
        return entries

    def _entry(self, directory, resolved, item):
        name = item.name
        try:
            info = item.stat(follow_symlinks=False)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return None  # removed since the directory was listed
            raise UnitTreeError(item.path, exc.strerror)
        mtime = info.st_mtime
        if stat.S_ISREG(info.st_mode):
            kind = "mask" if info.st_size == 0 else "file"
            return Entry(name, directory.path, directory.layer, kind, None, None, mtime)
        if not stat.S_ISLNK(info.st_mode):
            return Entry(name, directory.path, directory.layer, "other", None, None, mtime)

        tree = self.tree
        link = tree.readlink(posixpath.join(resolved, name))
        start = link if link.startswith("/") else posixpath.join(directory.path, link)
        # As systemd: the link's own target, with the directories on the way resolved.
        target = self._resolve_but_last(start)
        if target == MASK_TARGET:
            return Entry(name, directory.path, directory.layer, "mask", target, link, mtime)
        inside = self._search_dir_of(target)
        if inside is None:
            if tree.is_mask_target(target):
                kind = "mask"
            elif tree.lstat(tree.resolve(target)) is None:
                kind = "dangling"
            else:
                kind = "linked"
            return Entry(name, directory.path, directory.layer, kind, target, link, mtime)
        alias = posixpath.basename(target)
        if alias == name or not _valid_alias(name, alias):
            # systemd ignores a link to its own name and an alias it cannot use;
            # the name is then looked up further down the search path. The link
            # still takes the place a mask would need.
            return Entry(name, directory.path, directory.layer, "ignored", alias, link, mtime)
        return Entry(name, directory.path, directory.layer, "alias", alias, link, mtime)

    def _resolve_but_last(self, path):
        """tree.resolve(path, follow_last=False), with each directory resolved once."""
        parent, last = posixpath.split(path)
        if last in ("", ".", "..") or not parent:
            return self.tree.resolve(path, follow_last=False)
        if parent not in self._resolved_dirs:
            self._resolved_dirs[parent] = self.tree.resolve(parent)
        return posixpath.join(self._resolved_dirs[parent], last)

    def _search_dir_of(self, path):
        """The search directory ``path`` lies in, or None.

        As systemd compares: by prefix, with each directory as written and as
        resolved, so a link into the directory a search directory links to is an
        alias too, not a linked unit file.
        """
        if self._search_prefixes is None:
            self._search_prefixes = [
                (directory, tuple(prefix.rstrip("/") + "/"
                                  for prefix in (directory.path, self.tree.resolve(directory.path))))
                for directory in self.search_path]
        for directory, prefixes in self._search_prefixes:
            if path.startswith(prefixes):
                return directory
        return None


def _valid_alias(name, target):
    """Whether systemd accepts a link named ``name`` to the unit ``target`` as an alias."""
    if not is_unit_file_name(target):
        return False
    unit_type = name.rsplit(".", 1)[1]
    if unit_type != target.rsplit(".", 1)[1] or unit_type not in _ALIAS_TYPES:
        return False
    name_kind, target_kind = _name_kind(name), _name_kind(target)
    if name_kind != "plain" and unit_type not in _TEMPLATE_TYPES:
        return False
    if name_kind == target_kind:
        if name_kind == "instance":
            return name.split("@", 1)[1] == target.split("@", 1)[1]
        return True
    return name_kind == "instance" and target_kind == "template"


def _name_kind(name):
    if "@" not in name:
        return "plain"
    return "template" if name.split("@", 1)[1].startswith(".") else "instance"
