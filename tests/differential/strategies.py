# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Small unit trees for the differential tests, as hypothesis strategies.

A case is what oracle.build_tree builds: entries in the unit directories,
files outside them, directories that are links, and the unit names to ask
about. Every name starts with "sgt", so no case can touch or shadow a unit of
the system's own.

The first choice of every sampled value is the simplest one: hypothesis
shrinks towards it, so a failing case is reported in its plainest form.
"""

from __future__ import annotations

import posixpath

from hypothesis import strategies as st

from oracle import OUTSIDE_DIR, UNIT_DIRS

# Names entries may have: plain units of two types, a template and two of its instances.
POOL = (
    "sgt-a.service",
    "sgt-b.service",
    "sgt-c.service",
    "sgt-a.socket",
    "sgt-t@.service",
    "sgt-t@x.service",
    "sgt-t@y.service",
)
# Asked as well: an instance that never has an entry of its own.
ASKED = POOL + ("sgt-t@z.service",)

DIRS = tuple(UNIT_DIRS)  # etc, run, usr/local/lib, usr/lib, lib

# Files outside the search path that `systemctl link`-style links point to: a
# unit of the pool's names, a unit of another name, and names systemd cannot
# take for a unit.
OUTSIDE_NAMES = ("sgt-a.service", "sgt-other.service", "sgt-t@.service", "sgt-a.socket", "sgt-notes.txt")
# A file with a name that is not a unit's, inside a unit directory.
NOT_A_UNIT = "sgt-a.conf"

# Directories a root-mode case may turn into links: link texts that stay in the
# tree, written as an administrator would, and ones that leave it (an absolute
# link, which systemctl --root follows on the host, or one that climbs above the
# root), which unit_lookup refuses.
DIR_LINKS = {
    "/etc/systemd/system": (("../../srv/sgt-etc",), ("/srv/sgt-etc",)),
    "/run/systemd/system": (("../../srv/sgt-run", "../../etc/systemd/system"), ("../../../../srv/sgt-run",)),
    "/usr/lib/systemd/system": (("../../../srv/sgt-vendor",), ("/srv/sgt-vendor",)),
}
MERGED_LIB = {"/lib": "usr/lib"}


def depth(directory):
    """How many ".." lead from the unit directory ``directory`` (a key of UNIT_DIRS) to /."""
    return len([p for p in UNIT_DIRS[directory].split("/") if p])


def link_text(directory, path, form):
    """The link text, written in ``directory``, for the tree path ``path``."""
    if form == "absolute":
        return path
    up = depth(directory) + (1 if form == "too-deep" else 0)
    return "../" * up + path.lstrip("/")


class Case(dict):
    """A case for oracle.build_tree, shown as a listing of the tree it builds."""

    def __repr__(self):
        lines = []
        for path, text in sorted(self.get("dir_links", {}).items()):
            lines.append("%s/ -> %s" % (path, text))
        for item in self.get("files", []):
            lines.append("%s (%s)" % (item["path"], "unit file" if item["type"] == "file" else "empty file"))
        for entry in self["entries"]:
            where = "%s/%s" % (entry["dir"], entry["name"])
            if entry["type"] == "link":
                lines.append("%s -> %s" % (where, entry["target"]))
            else:
                lines.append("%s (%s)" % (where, "unit file" if entry["type"] == "file" else "empty file"))
        if not lines:
            lines.append("(no entries)")
        return "Case(\n    %s\n)" % "\n    ".join(lines)


@st.composite
def entry_kinds(draw, directory, places):
    """What one unit entry in ``directory`` is: a file or a link, and where it points.

    An alias names mostly a unit the case has an entry for (``places``: its
    (directory, name) pairs), in a directory where it has one, so that aliases
    meet masks, files and other aliases often; at times anything in the pool.
    """
    kind = draw(st.sampled_from(("file", "null", "empty", "alias", "linked", "not-a-unit")))
    if kind in ("file", "empty"):
        return {"type": kind}
    if kind == "null":
        # A link that climbs above the root makes unit_lookup refuse the whole tree:
        # drawn less often, so that most cases are compared.
        form = draw(st.sampled_from(("absolute", "relative", "absolute", "relative", "too-deep")))
        return {"type": "link", "target": link_text(directory, "/dev/null", form)}
    if kind == "alias":
        name = draw(st.one_of(st.sampled_from([n for _d, n in places]), st.sampled_from(POOL)))
        into = draw(st.one_of(st.sampled_from([d for d, n in places if n == name] or DIRS),
                              st.sampled_from(DIRS)))
        forms = ("absolute", "relative") + (("bare",) if into == directory else ())
        form = draw(st.sampled_from(forms))
        if form == "bare":
            return {"type": "link", "target": name}
        return {"type": "link", "target": link_text(directory, posixpath.join(UNIT_DIRS[into], name), form)}
    if kind == "linked":
        name = draw(st.sampled_from(OUTSIDE_NAMES))
        form = draw(st.sampled_from(("absolute", "relative")))
        return {"type": "link", "target": link_text(directory, posixpath.join(OUTSIDE_DIR, name), form)}
    into = draw(st.sampled_from(DIRS))
    return {"type": "link", "target": posixpath.join(UNIT_DIRS[into], NOT_A_UNIT)}


@st.composite
def entries(draw):
    places = draw(st.lists(st.tuples(st.sampled_from(DIRS), st.sampled_from(POOL)),
                           min_size=1, max_size=6, unique=True))
    found = []
    for directory, name in places:
        entry = {"dir": directory, "name": name}
        entry.update(draw(entry_kinds(directory, places)))
        found.append(entry)
    return found


@st.composite
def other_files(draw):
    """Files that are not unit entries: link targets outside the search path, non-unit names."""
    found = []
    for name in OUTSIDE_NAMES:
        kind = draw(st.sampled_from(("missing", "file", "empty")))
        if kind != "missing":
            found.append({"path": posixpath.join(OUTSIDE_DIR, name), "type": kind})
    for directory in draw(st.lists(st.sampled_from(DIRS), max_size=2, unique=True)):
        kind = draw(st.sampled_from(("file", "empty")))
        found.append({"path": posixpath.join(UNIT_DIRS[directory], NOT_A_UNIT), "type": kind})
    return found


@st.composite
def dir_links(draw, lib_is_link):
    """Directories that are links, for a tree under another root."""
    links = dict(MERGED_LIB) if lib_is_link else {}
    if not lib_is_link and draw(st.booleans()):
        # Debian 11 installed or upgraded with a merged /usr.
        links.update(MERGED_LIB)
    for path in draw(st.lists(st.sampled_from(tuple(DIR_LINKS)), max_size=2, unique=True)):
        staying, leaving = DIR_LINKS[path]
        # One in four leaves the tree, which makes unit_lookup refuse the case.
        leaves = draw(st.integers(0, 3)) == 3
        links[path] = draw(st.sampled_from(leaving if leaves else staying))
    return links


@st.composite
def live_cases(draw, lib_is_link):
    """Cases for the running system: its own directories, as they are."""
    found = draw(entries())
    files = draw(other_files())
    return Case(dir_links=dict(MERGED_LIB) if lib_is_link else {}, files=files, entries=found, ask=list(ASKED))


@st.composite
def root_cases(draw, lib_is_link):
    """Cases for a tree under another root, where directories may be links too."""
    found = draw(entries())
    files = draw(other_files())
    links = draw(dir_links(lib_is_link))
    return Case(dir_links=links, files=files, entries=found, ask=list(ASKED))
