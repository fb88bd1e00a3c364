"""Window records: sealed when written, refused unless they read back exactly as written."""

from __future__ import annotations

import base64
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sysguard.systemd.plugins.filter.masking_window_records import masking_window_records
from ansible_collections.sysguard.systemd.plugins.filter.masking_window_seal import masking_window_seal
from ansible_collections.sysguard.systemd.plugins.module_utils.window_record import (
    RecordError,
    read_record,
    seal_record,
)

RUN = "/run/sysguard-systemd/windows"
LIB = "/var/lib/sysguard-systemd/windows"
PATH = LIB + "/patching.json"


def record(**changes):
    return dict({
        "window": "patching",
        "mode": "persistent",
        "opened": "2026-12-06T10:00:00Z",
        "units": ["cron.service", "myapp.service", "legacy.service"],
        "masked": ["cron.service", "myapp.service"],
        "stopped": ["cron.service", "myapp.service"],
    }, **changes)


def written(rec):
    """The record as the role writes it: sealed, then to_nice_json."""
    return json.dumps(seal_record(rec), indent=4, sort_keys=True) + "\n"


def read(text, path=PATH):
    return read_record(path, text, RUN, LIB)


def test_a_sealed_record_reads_back_as_written():
    assert read(written(record())) == seal_record(record())
    assert read(written(record()))["format"] == 1


def test_layout_does_not_matter_to_the_seal():
    sealed = seal_record(record())
    assert read(json.dumps(sealed)) == sealed


def test_sealing_again_gives_the_same_seal():
    assert seal_record(seal_record(record())) == seal_record(record())


@pytest.mark.parametrize("edit", [
    lambda r: r["masked"].append("ssh.service"),
    lambda r: r["stopped"].remove("myapp.service"),
    lambda r: r.update(opened="2026-12-07T10:00:00Z"),
    lambda r: r.update(mode="runtime"),
])
def test_a_record_edited_after_sealing_is_refused_with_its_path(edit):
    sealed = seal_record(record())
    edit(sealed)
    with pytest.raises(RecordError, match=r"%s was changed after sysguard.systemd wrote it.*Nothing was changed" % PATH):
        read(json.dumps(sealed))


def test_an_unsealed_record_is_refused():
    with pytest.raises(RecordError, match="has no seal"):
        read(json.dumps(record()))


@pytest.mark.parametrize("text, why", [
    ("{\"window\": ", "cannot be read as JSON"),
    ("", "cannot be read as JSON"),
    ("[1, 2]", "is not a JSON object"),
    (json.dumps(dict(record(), format=2)), "has format 2"),
])
def test_an_unreadable_record_is_refused_with_its_path(text, why):
    with pytest.raises(RecordError, match="the window record %s %s" % (PATH, why)):
        read(text)


def test_missing_and_unknown_keys_are_named():
    sealed = seal_record(record())
    del sealed["stopped"]
    sealed["extra"] = 1
    with pytest.raises(RecordError, match="has no stopped; unknown keys extra"):
        read(json.dumps(sealed))


def test_a_sealed_record_with_a_bad_list_is_refused():
    with pytest.raises(RecordError, match="masked that is not a list of unit names"):
        read(written(record(masked="cron.service")))
    with pytest.raises(RecordError, match="units that is not a list of unit names"):
        read(written(record(units=["cron.service", ""])))


def test_a_sealed_record_with_an_unknown_mode_is_refused():
    with pytest.raises(RecordError, match="has mode 'forever'"):
        read(written(record(mode="forever")))


def test_a_record_must_be_named_after_its_window():
    with pytest.raises(RecordError, match="record of window 'patching', not of the window its file"):
        read(written(record()), path=LIB + "/other.json")


def test_a_record_must_sit_in_the_directory_of_its_mode():
    # A runtime record moved to /var/lib would outlive the masks it describes.
    with pytest.raises(RecordError, match="record of a runtime window, whose records are in %s" % RUN):
        read(written(record(mode="runtime")))
    with pytest.raises(RecordError, match="record of a persistent window, whose records are in %s" % LIB):
        read(written(record()), path=RUN + "/patching.json")
    assert read(written(record(mode="runtime")), path=RUN + "/patching.json")["mode"] == "runtime"


def test_sealing_needs_every_key():
    incomplete = record()
    del incomplete["opened"]
    with pytest.raises(RecordError, match="needs opened"):
        seal_record(incomplete)


def slurped(text, path=PATH):
    return {"source": path, "content": base64.b64encode(text.encode("utf-8")).decode("ascii")}


def test_filters_read_what_they_sealed():
    text = json.dumps(masking_window_seal(record()), indent=4) + "\n"
    assert masking_window_records([slurped(text)], RUN, LIB) == [{"path": PATH, "record": seal_record(record())}]
    assert masking_window_records([], RUN, LIB) == []


def test_filters_fail_naming_the_record():
    with pytest.raises(AnsibleFilterError, match="the window record %s was changed" % PATH):
        sealed = masking_window_seal(record())
        sealed["masked"] = ["ssh.service"]
        masking_window_records([slurped(json.dumps(sealed))], RUN, LIB)
    with pytest.raises(AnsibleFilterError, match="%s is not UTF-8 text" % PATH):
        masking_window_records([{"source": PATH, "content": base64.b64encode(b"\xff\xfe").decode()}], RUN, LIB)
    with pytest.raises(AnsibleFilterError, match="needs"):
        masking_window_seal({"window": "patching"})
