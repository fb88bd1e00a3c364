# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Ask systemd itself what it makes of a unit tree: the oracle of the differential tests.

Runs inside a systemd container as one long-lived process, standard library
only (Python 3.9 and later): one JSON request per line on stdin, one JSON
answer per line on stdout.

    {"op": "hello"}
        -> systemd's version, whether /lib is a link, the manager's unit path
    {"op": "live", "case": CASE}
        -> the case's entries placed in the real unit directories, the manager
           reloaded, and `systemctl show` per asked name: {Id, LoadState, FragmentPath},
           with "Listed": [Id, LoadState] from the manager's ListUnitsByNames
           (the module's read), asked first on a manager reloaded afresh
    {"op": "root", "case": CASE}
        -> the case built as a tree under /tmp/sgdiff/, and per asked name what
           `systemctl --root=TREE is-enabled` says, with `list-unit-files`

A CASE is plain data (see build_tree); the test builds the very same tree on
the controller with build_tree, so both sides read one description. A request
may add "keep": true to leave the case in place afterwards, to look at by hand,
and a root request an "id" to name its tree.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
import sys

# Where a case may put unit entries, by the short names cases use.
UNIT_DIRS = {
    "etc": "/etc/systemd/system",
    "run": "/run/systemd/system",
    "usr/local/lib": "/usr/local/lib/systemd/system",
    "usr/lib": "/usr/lib/systemd/system",
    "lib": "/lib/systemd/system",
}
# Files that units may link to from outside the search path.
OUTSIDE_DIR = "/opt/sgt"
# Every name a case may create starts with this, so nothing of the system's own is touched.
NAME_PREFIX = "sgt"

UNIT_CONTENT = (
    "[Unit]\n"
    "Description=differential test unit\n"
    # One content fits every type a case uses: each type ignores the other's section.
    "[Service]\n"
    "ExecStart=/bin/true\n"
    "[Socket]\n"
    "ListenStream=/run/sgdiff.sock\n"
)

ROOT_TREES = "/tmp/sgdiff"
_ENV = dict(os.environ, LC_ALL="C", LANGUAGE="C", SYSTEMD_PAGER="", SYSTEMD_LOG_LEVEL="err")


class CaseError(Exception):
    """The case cannot be built as described (a harness error, not systemd's answer)."""


# Building a tree: shared with the controller, which imports this module.

def build_tree(root, case):
    """Build ``case`` under the host directory ``root`` ("/" for the live system).

    CASE keys:
    - ``dir_links``: {tree path: link text}, directories that are links
      (``{"/lib": "usr/lib"}`` for a merged /usr); only under another root,
      except /lib as the system has it;
    - ``files``: [{"path", "type": "file"|"empty"}], files that are not unit
      entries (under /opt/sgt, or non-unit names in a unit directory);
    - ``entries``: [{"dir": key of UNIT_DIRS, "name", "type": "file"|"empty"|"link",
      "target": link text}];
    - ``ask``: the unit names to ask about.

    Every path is created through the tree's own view (links resolved inside
    ``root``, ``..`` stopping at it, as systemd's chase does), so nothing is
    written outside ``root``. Later items replace earlier ones at the same path.
    """
    live = root == "/"
    if not live:
        for path, text in sorted(case.get("dir_links", {}).items(), key=lambda item: len(item[0])):
            parent, name = posixpath.split(path)
            host_parent = _makedirs(root, parent)
            _replace(posixpath.join(host_parent, name))
            os.symlink(text, posixpath.join(host_parent, name))
            if not text.startswith("/"):
                text = posixpath.join(parent, text)
            _makedirs(root, text)
        for directory in UNIT_DIRS.values():
            _makedirs(root, directory)
    for item in case.get("files", []):
        _place(root, item["path"], item["type"], None, live)
    for entry in case.get("entries", []):
        path = posixpath.join(UNIT_DIRS[entry["dir"]], entry["name"])
        _place(root, path, entry["type"], entry.get("target"), live)


def _place(root, path, kind, target, live):
    parent, name = posixpath.split(path)
    host_parent = _makedirs(root, parent)
    if live and not _is_ours(host_parent, name):
        raise CaseError("refusing to write %s on the live system" % path)
    host = posixpath.join(host_parent, name)
    _replace(host)
    if kind == "link":
        os.symlink(target, host)
    elif kind in ("file", "empty"):
        with open(host, "w") as handle:
            handle.write(UNIT_CONTENT if kind == "file" else "")
    else:
        raise CaseError("unknown entry type %r" % kind)


def _replace(host):
    if os.path.lexists(host):
        if os.path.isdir(host) and not os.path.islink(host):
            shutil.rmtree(host)
        else:
            os.unlink(host)


def _is_ours(host_parent, name):
    if not name.startswith(NAME_PREFIX):
        return False
    real = os.path.realpath(host_parent)
    allowed = [os.path.realpath(d) for d in UNIT_DIRS.values()] + [OUTSIDE_DIR]
    return real in allowed


def _resolve(root, path):
    """The host path of the tree path ``path``, every link resolved inside ``root``."""
    pending = [p for p in path.split("/") if p not in ("", ".")]
    resolved = []
    hops = 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            resolved = resolved[:-1]
            continue
        host = posixpath.join(root, *(resolved + [part]))
        if os.path.islink(host):
            hops += 1
            if hops > 40:
                raise CaseError("too many links in %s" % path)
            text = os.readlink(host)
            if text.startswith("/"):
                resolved = []
            pending = [p for p in text.split("/") if p not in ("", ".")] + pending
            continue
        resolved.append(part)
    return posixpath.join(root, *resolved)


def _makedirs(root, path):
    host = _resolve(root, path)
    os.makedirs(host, exist_ok=True)
    return host


# Asking systemd.

def _run(argv):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=_ENV, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def _systemctl(*args):
    return _run_checked(["systemctl"] + list(args))


def _run_checked(argv):
    rc, out, err = _run(argv)
    if rc != 0:
        raise CaseError("%s failed (%d): %s" % (" ".join(argv), rc, err.strip()))
    return out


def hello(_request):
    version = int(re.match(r"systemd (\d+)", _systemctl("--version")).group(1))
    unit_path = _systemctl("show", "--property=UnitPath", "--value").split()
    return {
        "version": version,
        "lib_is_link": os.path.islink("/lib"),
        "unit_path": unit_path,
    }


def clean_live():
    """Remove every entry a case may have made on the live system."""
    for directory in UNIT_DIRS.values():
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            if name.startswith(NAME_PREFIX):
                _replace(posixpath.join(directory, name))
    shutil.rmtree(OUTSIDE_DIR, ignore_errors=True)


def live(request):
    case = request["case"]
    links = case.get("dir_links", {})
    if links != ({"/lib": "usr/lib"} if os.path.islink("/lib") else {}):
        raise CaseError("a live case cannot change directories: %r" % links)
    clean_live()
    try:
        build_tree("/", case)
        _systemctl("daemon-reload")
        names = [n for n in case["ask"] if not _is_template(n)]
        blocks = []
        if names:
            listed = _list_units_by_names(names)
            # A fresh reload, so that show loads the units itself, as it would alone.
            _systemctl("daemon-reload")
            out = _systemctl("show", "--property=Id,LoadState,FragmentPath", "--", *names)
            blocks = _parse_show(out)
            if len(blocks) != len(names) or len(listed) != len(names):
                raise CaseError("show answered %d blocks and ListUnitsByNames %d units for %d names"
                                % (len(blocks), len(listed), len(names)))
            for block, row in zip(blocks, listed):
                block["Listed"] = row
        return {"units": dict(zip(names, blocks))}
    finally:
        if not request.get("keep"):
            clean_live()


def _list_units_by_names(names):
    """[Id, LoadState] per name from the manager's ListUnitsByNames, in order."""
    out = _run_checked(["busctl", "--system", "--json=short", "--", "call", "org.freedesktop.systemd1",
                        "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "ListUnitsByNames",
                        "as", str(len(names))] + list(names))
    return [[row[0], row[2]] for row in json.loads(out)["data"][0]]


def _is_template(name):
    return "@." in name


def _parse_show(out):
    blocks, block = [], {}
    for line in out.splitlines():
        if not line.strip():
            if block:
                blocks.append(block)
            block = {}
            continue
        key, value = line.split("=", 1) if "=" in line else (line, "")
        block[key] = value
    if block:
        blocks.append(block)
    return blocks


def root(request):
    case = request["case"]
    tree = posixpath.join(ROOT_TREES, re.sub(r"[^A-Za-z0-9_-]", "_", str(request.get("id", "case"))))
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(tree)
    try:
        build_tree(tree, case)
        rc, out, err = _run(["systemctl", "--root=" + tree, "list-unit-files", "--no-legend", "--no-pager"])
        listed = {}
        for line in out.splitlines():
            fields = line.split()
            if len(fields) >= 2:
                listed[fields[0]] = fields[1]
        units = {}
        for name in case["ask"]:
            rc, out, err = _run(["systemctl", "--root=" + tree, "is-enabled", "--", name])
            units[name] = {"is_enabled": out.strip(), "rc": rc, "stderr": err.strip(),
                           "listed": listed.get(name)}
        return {"units": units}
    finally:
        if not request.get("keep"):
            shutil.rmtree(tree, ignore_errors=True)


OPS = {"hello": hello, "live": live, "root": root}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            answer = {"ok": True}
            answer.update(OPS[request["op"]](request))
        except Exception as exc:  # every failure goes back to the test, which shows it
            answer = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
        sys.stdout.write(json.dumps(answer, sort_keys=True) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
