# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""The record a host keeps of an open maintenance window.

Once a window is open, its units are masked and stopped, so only the record
knows which masks the window added and which units ran before it. Closing
trusts the record to remove masks and start units; a record that was edited
or damaged would make it remove a mask it never made or start a unit that
never ran. So every record is sealed with a checksum of its content when
written, and a record that does not read back exactly as written is refused,
naming its path, before anything changes.

The seal detects edits and damage; it is not a signature (root can write a
new record and seal it), and it does not need to be one: whoever can write
/var/lib can mask units directly.
"""

from __future__ import annotations

import hashlib
import json
import posixpath

RECORD_FORMAT = 1
MODES = ("runtime", "persistent")
_LISTS = ("units", "masked", "stopped")
_KEYS = frozenset(("format", "window", "mode", "opened", "checksum") + _LISTS)


class RecordError(Exception):
    """A window record that closing or reopening the window cannot trust."""


def _checksum(record):
    content = {key: value for key, value in record.items() if key != "checksum"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def seal_record(record):
    """The record as written to the host: ``record`` with its format and checksum."""
    sealed = dict(record, format=RECORD_FORMAT)
    sealed.pop("checksum", None)
    missing = _KEYS - {"checksum"} - set(sealed)
    if missing:
        raise RecordError("a window record needs %s" % ", ".join(sorted(missing)))
    sealed["checksum"] = _checksum(sealed)
    return sealed


def _refuse(path, why):
    raise RecordError(
        "the window record %s %s. Nothing was changed. Check the units it names by "
        "hand (systemctl list-unit-files --state=masked; the links in /etc/systemd/system "
        "and /run/systemd/system), restore what the window changed, then remove the "
        "record." % (path, why))


def read_record(path, text, runtime_dir, persistent_dir):
    """The record in file ``path`` whose content is ``text``, checked.

    The record must parse, carry every key with the right type, match its seal,
    name the window its file is named after, and sit in the directory of its
    mode (``runtime_dir`` or ``persistent_dir``): a runtime record moved to the
    persistent directory would outlive the masks it describes.
    """
    try:
        record = json.loads(text)
    except ValueError as exc:
        _refuse(path, "cannot be read as JSON (%s)" % exc)
    if not isinstance(record, dict):
        _refuse(path, "is not a JSON object")
    if "format" not in record and "checksum" not in record:
        _refuse(path, "has no seal (format and checksum): it was written by hand, or by "
                "a development version of sysguard.systemd")
    if record.get("format") != RECORD_FORMAT:
        _refuse(path, "has format %r; this version of sysguard.systemd reads format %d"
                % (record.get("format"), RECORD_FORMAT))
    keys = set(record)
    if keys != _KEYS:
        _refuse(path, "has %s" % "; ".join(
            part for part in (
                "no %s" % ", ".join(sorted(_KEYS - keys)) if _KEYS - keys else "",
                "unknown keys %s" % ", ".join(sorted(keys - _KEYS)) if keys - _KEYS else "")
            if part))
    if record["checksum"] != _checksum(record):
        _refuse(path, "was changed after sysguard.systemd wrote it (its checksum does not match its content)")
    # A sealed record has the shape below unless the code that sealed it was wrong:
    # checked anyway, since closing acts on what it says.
    for key in _LISTS:
        if not isinstance(record[key], list) or not all(isinstance(name, str) and name for name in record[key]):
            _refuse(path, "has a %s that is not a list of unit names" % key)
    if record["mode"] not in MODES:
        _refuse(path, "has mode %r, neither runtime nor persistent" % (record["mode"],))
    directory, name = posixpath.split(path)
    if name != "%s.json" % record["window"]:
        _refuse(path, "is the record of window %r, not of the window its file is named after"
                % (record["window"],))
    expected_dir = runtime_dir if record["mode"] == "runtime" else persistent_dir
    if posixpath.normpath(directory) != posixpath.normpath(expected_dir):
        _refuse(path, "is the record of a %s window, whose records are in %s"
                % (record["mode"], expected_dir))
    return record
