# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""unit_lookup against systemd itself: generated unit trees, asked of both.

Each example builds one small tree twice from one description (oracle.build_tree):
in a temporary directory here, read by unit_lookup, and inside a container of
each Debian release, read by systemd. Every asked name must get the same answer.

- live: the case goes into the container's real unit directories; the running
  manager answers with `systemctl show` (LoadState, Id, FragmentPath), and with
  ListUnitsByNames, the module's own read, which must agree with show.
- root: the case is a tree under another root; `systemctl --root=TREE is-enabled`
  answers whether a unit is masked, and in which layer.

A tree that leads above its root through ``..`` is refused by unit_lookup
(UnitTreeError) where systemd stops at the root: for those, the refusal is what
is checked. Examples per release: SYSGUARD_DIFF_EXAMPLES, else 30 live, 60 root.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import (
    MASK_TARGET,
    SYSTEM_SEARCH_PATH,
    Tree,
    UnitTree,
    UnitTreeError,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_names import (
    is_instance,
    is_unit_file_name,
    template_of,
)
from ansible_collections.sysguard.systemd.plugins.module_utils.unit_read import _names_agree
from oracle import build_tree
from strategies import POOL, live_cases, root_cases


def _examples(default):
    return int(os.environ.get("SYSGUARD_DIFF_EXAMPLES", default))


def _settings(examples):
    return settings(
        derandomize=True,  # the same cases on every run: `make test` is reproducible
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


# How systemd's LoadState reads as the model's load_state. systemd has more states
# than the model: `stub` and `merged` are never what `show` reports for a name
# (it reports the unit a name was merged into); `bad-setting` and `error` mean a
# fragment was found but its content could not be used, which the cases never
# generate (every unit file is valid for every type), so they are not mapped:
# one of them appearing is a disagreement to look at, not to fold away.
LOAD_STATES = {"loaded": "loaded", "masked": "masked", "not-found": "not-found"}

# What FragmentPath names for a link that leaves the search path (a link to
# /dev/null, to an empty file, or a linked unit file), per systemd version:
# - 247 stores the link's target as the fragment (its directories resolved,
#   not the last part), so FragmentPath=/dev/null for a mask link and
#   /opt/... for a linked unit file;
# - 252, 257 and 262 store the link itself, so FragmentPath is the link's path
#   in the unit directory, which is the model's fragment.path.
# A version not listed here fails the test until it is looked at.
LINK_FRAGMENT = {247: "target", 252: "link", 257: "link", 262: "link"}

# The Id of an alias, per systemd version:
# - 247 keys its alias map by the name of the fragment file and leaves masks out
#   of it: an alias of a masked unit, or of a unit whose fragment is a file out
#   of the search path with another name than the unit's, is loaded under its
#   own name;
# - 252, 257 and 262 load every alias as the unit it names, as unit_lookup does.
ALIAS_ID = {247: "by fragment file", 252: "unit", 257: "unit", 262: "unit"}


class Refused(Exception):
    """unit_lookup refused the tree, as documented: something in it leads out of its root."""


class Model:
    """The case built in a temporary root here, and unit_lookup's reading of it."""

    def __init__(self, case):
        self.case = case
        self.root = None
        self.tree = None

    def __enter__(self):
        self.root = tempfile.mkdtemp(prefix="sgdiff-")
        try:
            build_tree(self.root, self.case)
            try:
                self.tree = UnitTree.read(SYSTEM_SEARCH_PATH, Tree(self.root))
            except UnitTreeError as exc:
                leaving = _links_climbing_above(self.root) + _search_dirs_through_absolute_links(self.root)
                assert "leads out of root" in exc.reason and leaving, (
                    "unit_lookup refused a tree that nothing leads out of: %s" % exc)
                event("refused by unit_lookup: leads out of root")
                raise Refused(exc)
        except BaseException:
            shutil.rmtree(self.root)
            raise
        return self

    def __exit__(self, *exc_info):
        shutil.rmtree(self.root)

    def lookup(self, name):
        return self.tree.lookup(name)

    def first_entry_ignored(self, name):
        """Whether the first entry for ``name`` on disk is one unit_lookup ignores.

        That is a link systemd's manager skips (an alias it cannot use: of
        another type, to a name that is not a unit's, template to plain, ...),
        reading on down the search path.
        """
        path = self.first_entry(name)
        if path is None:
            return False
        entry = self.tree.entry(posixpath.dirname(path), name)
        return entry is None or entry.kind == "ignored"

    def names_on_the_way(self, name):
        """``name`` and every name its lookup passes through: alias targets, templates."""
        names = [name] + [e.target for e in self.lookup(name).chain if e.kind == "alias"]
        return names + [template_of(n) for n in names if is_instance(n)]

    def first_entry(self, name):
        """The tree path of the first entry for ``name`` on disk, or None."""
        for directory in SYSTEM_SEARCH_PATH:
            path = posixpath.join(directory.path, name)
            if os.path.lexists(self.root + path):
                return path
        return None

    def inside_only_through_a_link(self, name):
        """Whether the first entry for ``name`` links into a search directory only as resolved."""
        path = self.first_entry(name)
        if path is None or not os.path.islink(self.root + path):
            return False
        text = os.readlink(self.root + path)
        start = text if text.startswith("/") else posixpath.join(posixpath.dirname(path), text)
        target = posixpath.join(_follow_in_tree(self.root, posixpath.dirname(start)), posixpath.basename(start))
        written = [d.path + "/" for d in SYSTEM_SEARCH_PATH]
        resolved = [_follow_in_tree(self.root, d.path) + "/" for d in SYSTEM_SEARCH_PATH]
        return not target.startswith(tuple(written)) and target.startswith(tuple(resolved))

    def first_link_names(self, name):
        """The name the first entry for ``name`` on disk links to, if it is a link."""
        path = self.first_entry(name)
        if path is None or not os.path.islink(self.root + path):
            return None
        return posixpath.basename(os.readlink(self.root + path))

    def alias_followed_elsewhere(self, name):
        """Where an alias on the way of ``name`` leads by its path, if not to the entry
        its name leads to, or None.

        The manager follows an alias by the name it names, looked up through the
        whole search path; install.c follows the link to the file at its path.
        """
        chain = self.lookup(name).chain
        for index, entry in enumerate(chain):
            if entry.kind != "alias":
                continue
            start = entry.link if entry.link.startswith("/") else posixpath.join(entry.directory, entry.link)
            by_path = posixpath.join(_follow_in_tree(self.root, posixpath.dirname(start)), posixpath.basename(start))
            following = chain[index + 1] if index + 1 < len(chain) else None
            if following is None:
                if os.path.lexists(self.root + by_path):
                    return by_path
                continue
            by_name = posixpath.join(_follow_in_tree(self.root, following.directory), following.name)
            if by_name != by_path:
                return by_path
        return None

    def ends_empty_at(self, path):
        """Whether the tree path ``path``, followed to its end, is /dev/null or an empty file."""
        final = _follow_in_tree(self.root, path)
        host = self.root + final
        return final == MASK_TARGET or (os.path.isfile(host) and os.path.getsize(host) == 0)

    def ends_empty(self, name):
        """Whether the first entry for ``name`` on disk, followed to its end, is empty."""
        path = self.first_entry(name)
        return path is not None and self.ends_empty_at(path)


def _links_climbing_above(root):
    """Every link in the tree at ``root`` that, followed, climbs above the root with ``..``.

    Deliberately not unit_lookup's resolver: a second, plain reading of the tree.
    """
    found = []
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            host = os.path.join(directory, name)
            if os.path.islink(host) and _climbs(root, "/" + os.path.relpath(host, root), 0):
                found.append(os.path.relpath(host, root))
    return found


def _search_dirs_through_absolute_links(root):
    """Search directories reached through an absolute link, which systemctl --root
    follows on the host (seen on 247, 252, 257 and 262: it reads the host's directory)."""
    found = []
    for directory in SYSTEM_SEARCH_PATH:
        parts = [p for p in directory.path.split("/") if p]
        for end in range(1, len(parts) + 1):
            host = os.path.join(root, *parts[:end])
            if os.path.islink(host) and os.readlink(host).startswith("/"):
                found.append(directory.path)
                break
    return found


def _follow_in_tree(root, path):
    """The tree path ``path`` leads to, every link followed inside ``root``."""
    stack = []
    parts = [p for p in path.split("/") if p not in ("", ".")]
    for _hop in range(400):
        if not parts:
            break
        part = parts.pop(0)
        if part == "..":
            stack = stack[:-1]
            continue
        host = os.path.join(root, *(stack + [part]))
        if os.path.islink(host):
            text = os.readlink(host)
            if text.startswith("/"):
                stack = []
            parts = [p for p in text.split("/") if p not in ("", ".")] + parts
        else:
            stack.append(part)
    return "/" + "/".join(stack)


def _climbs(root, path, depth_of_links):
    if depth_of_links > 40:
        return False
    stack = []
    parts = [p for p in path.split("/") if p not in ("", ".")]
    while parts:
        part = parts.pop(0)
        if part == "..":
            if not stack:
                return True
            stack.pop()
            continue
        host = os.path.join(root, *(stack + [part]))
        if os.path.islink(host):
            text = os.readlink(host)
            depth_of_links += 1
            if depth_of_links > 40:
                return False
            if text.startswith("/"):
                stack = []
            parts = [p for p in text.split("/") if p not in ("", ".")] + parts
        else:
            stack.append(part)
    return False


def expected_show(systemd, lookup):
    """What `systemctl show` should say for the model's UnitFile, on this systemd."""
    fragment = lookup.fragment
    if fragment is None:
        # A name systemd cannot load keeps its own name and has no fragment.
        return {"LoadState": lookup.load_state, "Id": lookup.name, "FragmentPath": ""}
    version = systemd.info["version"]
    assert version in LINK_FRAGMENT and version in ALIAS_ID, (
        "systemd %d: how it shows links and aliases is not known yet" % version)
    unit = lookup.unit
    if ALIAS_ID[version] == "by fragment file" and (lookup.masked or (
            fragment.kind == "linked" and posixpath.basename(fragment.target) != fragment.name)):
        unit = lookup.name
    path = fragment.path
    leaves_search_path = fragment.link is not None and fragment.kind in ("mask", "linked")
    if leaves_search_path and LINK_FRAGMENT[version] == "target":
        path = fragment.target
    elif path.startswith("/lib/systemd/system/") and _reads_lib_as_usr_lib(systemd):
        # unit_lookup's search path has /lib/systemd/system before /usr/lib (Debian
        # 12 and before list both). systemd 257 and 262 (Debian 13 and 14) list
        # only /usr/lib, where /lib links to usr/lib: the very same file, by its
        # other name.
        path = "/usr" + path
    return {"LoadState": lookup.load_state, "Id": unit, "FragmentPath": path}


def _reads_lib_as_usr_lib(systemd):
    return systemd.info["lib_is_link"] and "/lib/systemd/system" not in systemd.info["unit_path"]


def systemd_show(block):
    return {
        "LoadState": LOAD_STATES.get(block["LoadState"], "(systemd: %s)" % block["LoadState"]),
        "Id": block["Id"],
        "FragmentPath": block["FragmentPath"],
    }


def _table(rows):
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in rows)


def _report(systemd, case, rows, mismatches):
    return "unit_lookup and %r disagree on %s\n\n%r\n\n%s" % (
        systemd, ", ".join(mismatches), case, _table(rows))


def _borrows_names_on_247(model):
    """Whether systemd 247 gives units names of other units, through linked files' names.

    247 keeps the target of a link that leaves the search path as the unit's
    fragment, and gives the unit the target file's name as well. When that
    name is also another unit's (an entry of that name, or a second link to a
    file of that name, even one that is not a unit's name), the units merge or
    fail to (LoadState=error, or not-found for the instances of a template);
    when it is a template's name and the unit is not an instance, PID 1 fails
    an assertion and dies. 252 and later keep the link itself and the unit's
    own name: unit_lookup follows them. Such trees are not asked of 247; a link
    to a file of another name is not what `systemctl link` makes, which keeps
    the file's name.
    """
    winners = {name: model.tree.winner(name) for name in POOL}
    borrowed = {}
    for name, entry in winners.items():
        if entry is None or entry.link is None or entry.kind not in ("mask", "linked", "dangling"):
            continue
        file_name = posixpath.basename(entry.target)
        if entry.target != MASK_TARGET and file_name != name:
            borrowed.setdefault(file_name, []).append(name)
    for file_name, names in borrowed.items():
        if len(names) > 1 or winners.get(file_name) is not None:
            return True
        if "@." in file_name and any(not is_instance(name) for name in names):
            return True
    return False


def test_search_path_is_systemds(systemd):
    """The system search path is systemd's own, but for /lib on a release without it."""
    ours = [d.path for d in SYSTEM_SEARCH_PATH]
    if _reads_lib_as_usr_lib(systemd):
        ours.remove("/lib/systemd/system")
    assert systemd.info["unit_path"] == ours


@_settings(_examples(30))
@given(data=st.data())
def test_live_lookup_matches_systemctl_show(systemd, data):
    case = data.draw(live_cases(systemd.info["lib_is_link"]), label="case")
    asked = [name for name in case["ask"] if "@." not in name]  # show refuses templates
    try:
        with Model(case) as model:
            lookups = {name: model.lookup(name) for name in asked}
            if systemd.info["version"] == 247 and _borrows_names_on_247(model):
                event("not asked of 247: units named after linked files")
                assume(False)
    except Refused:
        return
    shown = systemd.ask({"op": "live", "case": case})["units"]

    # The module reads the manager with ListUnitsByNames, and asks show instead
    # when an answer names neither the unit asked nor the one its lookup ends
    # at. What it takes from ListUnitsByNames must be what show says.
    listed = [shown[name]["Listed"] for name in asked]
    listed_taken = _names_agree(asked, listed, model.tree)
    if not listed_taken:
        event("ListUnitsByNames answer refused by the module: asks show")
    rows = [("name", "", "LoadState", "Id", "FragmentPath")]
    mismatches = []
    for name in asked:
        want = expected_show(systemd, lookups[name])
        got = systemd_show(shown[name])
        differ = [key for key in want if want[key] != got[key]]
        if listed_taken and shown[name]["Listed"] != [shown[name]["Id"], shown[name]["LoadState"]]:
            differ.append("ListUnitsByNames %s, taken by the module" % shown[name]["Listed"])
        if differ:
            mismatches.append("%s (%s)" % (name, ", ".join(differ)))
        rows.append((name, "model", want["LoadState"], want["Id"], want["FragmentPath"]))
        rows.append(("!!" if differ else "", "systemd", got["LoadState"], got["Id"], got["FragmentPath"]))
    assert not mismatches, _report(systemd, case, rows, mismatches)


NOT_MASKED = "(not masked)"


# Which file `systemctl --root is-enabled` names a mask's layer by (masked, or
# masked-runtime for a file in /run), per systemd version:
# - 247: the first entry on disk for the name (or, for an instance without one,
#   its template's), even where that is an alias of a mask elsewhere or a link
#   to an empty file elsewhere;
# - 252, 257 and 262: the file the lookup ends on: the mask's own entry at the
#   end of an alias chain, the empty file a link leads to out of the search
#   path, or a link to /dev/null itself.
# unit_lookup's layer is always its fragment's, the entry a user removes to unmask.
MASK_LAYER_BY = {247: "first entry", 252: "final file", 257: "final file", 262: "final file"}


def expected_file_state(systemd, model, name):
    """The model's answer in `is-enabled` words, for what the root mode compares: masks."""
    lookup = model.lookup(name)
    fragment = lookup.fragment
    if not lookup.masked:
        return NOT_MASKED
    version = systemd.info["version"]
    assert version in MASK_LAYER_BY, "systemd %d: how is-enabled names mask layers is not known yet" % version
    runtime = fragment.layer == "runtime"
    if MASK_LAYER_BY[version] == "first entry":
        first = model.first_entry(name) or (is_instance(name) and model.first_entry(template_of(name)))
        if first:
            runtime = _layer_of(posixpath.dirname(first)) == "runtime"
    elif fragment.link is not None and fragment.target != MASK_TARGET:
        # The empty file out of the search path: in /run or not.
        runtime = fragment.target.startswith("/run/")
    return "masked-runtime" if runtime else "masked"


def _layer_of(directory):
    return next(d.layer for d in SYSTEM_SEARCH_PATH if d.path == directory)


def systemctl_file_state(answer):
    state = answer["is_enabled"]
    return state if state in ("masked", "masked-runtime") else NOT_MASKED


def systemctl_gave_up(answer):
    """Whether `systemctl --root is-enabled` answered with an error, not a state."""
    if answer["rc"] == 0:
        return False
    if answer["is_enabled"] == "not-found":  # 257 and 262 say so on stdout
        return True
    return any(error in answer["stderr"] for error in (
        "Invalid argument", "Invalid cross-device link", "No such file or directory",
        "Too many levels of symbolic links"))


def explained(systemd, model, name, want, answer):
    """Why systemctl --root answers otherwise than unit_lookup, where the reason is known:
    (reason, the names whose links it concerns), or None.

    `systemctl --root` reads a tree with install.c, which differs from the
    manager's lookup (unit-file.c) in two ways. It follows an alias link to the
    file at the link's path, where the manager looks up the name the link
    names. And it stops at links the manager skips: a self-alias, an alias of
    another type or to a name that is not a unit's, which the manager ignores
    to read on down the search path. unit_lookup follows the manager, since the
    manager is what honours a mask or not, and the live test checks it against
    the manager on these very links. Each reason below applies only where such
    a link lies on the way.
    """
    elsewhere = model.alias_followed_elsewhere(name)
    if elsewhere is not None:
        # install.c follows an alias link to the file at its path; the manager
        # looks the name it names up through the search path, where another
        # entry may come first (or the only one be elsewhere).
        if systemctl_gave_up(answer):
            return "install.c gives up at the file an alias's path leads to", elsewhere
        if (answer["is_enabled"] in ("masked", "masked-runtime")) == model.ends_empty_at(elsewhere):
            return "install.c reads the file an alias's path leads to", elsewhere
    ignored = [n for n in model.names_on_the_way(name) if model.first_entry_ignored(n)]
    if not ignored:
        return None
    skipped = ", ".join(ignored)
    if systemctl_gave_up(answer):
        return "install.c gives up at a link the manager skips", skipped
    masks = ("masked", "masked-runtime")
    if want in masks and answer["is_enabled"] in masks:
        return "install.c names the layer by a link the manager skips", skipped
    if want == NOT_MASKED and answer["is_enabled"] in masks:
        for skipped in (n for n in ignored if model.ends_empty(n)):
            if systemd.info["version"] == 247:
                # 247's install.c follows a link to its end before it checks that the
                # link is an alias it can use: a link to an empty file reads as masked.
                return "install.c 247 follows an unusable alias to an empty file", skipped
            if model.inside_only_through_a_link(skipped):
                # install.c tells an alias from a linked unit file by the search path
                # as written; the manager (252 and later) by the directories it
                # resolves to as well. So the link is a linked unit file, to an empty
                # file, for one and an unusable alias for the other.
                return "install.c takes a link into a linked search directory for a linked unit file", skipped
    for skipped in ignored:
        named = model.first_link_names(skipped)
        if named and is_unit_file_name(named) and model.lookup(named).masked == (answer["is_enabled"] in masks):
            # install.c follows a link to another name by that name, through the
            # search path, where the manager skips the link (template to instance).
            return "install.c follows a link the manager skips to the unit it names", skipped
    return None


@_settings(_examples(60))
@given(data=st.data())
def test_root_lookup_matches_systemctl_is_enabled(systemd, data):
    case = data.draw(root_cases(systemd.info["lib_is_link"]), label="case")
    try:
        with Model(case) as model:
            answers = systemd.ask({"op": "root", "case": case})["units"]
            rows = [("name", "model", "systemctl --root is-enabled", "list-unit-files", "")]
            mismatches = []
            for name in case["ask"]:
                answer = answers[name]
                want = expected_file_state(systemd, model, name)
                got = systemctl_file_state(answer)
                why = None
                if want != got:
                    why = explained(systemd, model, name, want, answer)
                    if why is None:
                        mismatches.append(name)
                    else:
                        event("expected difference: " + why[0])
                said = answer["is_enabled"] or answer["stderr"]
                rows.append((name + (" !!" if want != got and why is None else ""), want, said,
                             answer["listed"] or "", "expected: %s (%s)" % why if why else ""))
    except Refused:
        return
    assert not mismatches, _report(systemd, case, rows, mismatches)
