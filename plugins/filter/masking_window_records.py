# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: masking_window_records
short_description: Read and check the records of maintenance windows
version_added: 1.0.0
description:
  - Reads the records that the C(window_open) entry point of the role
    P(sysguard.systemd.masking#role) keeps on a host, as
    M(ansible.builtin.slurp) returned them, and checks each one before the role
    trusts it.
  - A record that is not valid JSON, misses a key, does not match the checksum it
    was sealed with (it was edited by hand), names another window than its file,
    or sits in the directory of the other mode fails, naming its path.
author:
  - sysguard.systemd maintainers (@sysguard)
positional: runtime_dir, persistent_dir
options:
  _input:
    description: The results of M(ansible.builtin.slurp), each with C(source) and C(content).
    type: list
    elements: dict
    required: true
  runtime_dir:
    description: The directory of runtime windows' records.
    type: path
    required: true
  persistent_dir:
    description: The directory of persistent windows' records.
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Read the records of open windows
  ansible.builtin.slurp:
    src: /var/lib/sysguard-systemd/windows/patching.json
  register: slurped

- name: Show the units the window masked
  ansible.builtin.debug:
    msg: >-
      {{ [slurped] | sysguard.systemd.masking_window_records('/run/sysguard-systemd/windows',
                                                             '/var/lib/sysguard-systemd/windows')
         | map(attribute='record.masked') | flatten }}
"""

RETURN = r"""
_value:
  description: One entry per record, in the order given.
  type: list
  elements: dict
  contains:
    path:
      description: The record's path on the host.
      type: str
    record:
      description:
        - The record, with C(window), C(mode) (V(runtime) or V(persistent)),
          C(opened), C(units), C(masked) (the masks the window added), C(stopped)
          (the units it stopped), C(format) and C(checksum).
      type: dict
"""

import base64

from ansible.errors import AnsibleFilterError

from ansible_collections.sysguard.systemd.plugins.module_utils.window_record import (
    RecordError,
    read_record,
)


def masking_window_records(slurped, runtime_dir, persistent_dir):
    records = []
    for result in slurped:
        path = result["source"]
        try:
            text = base64.b64decode(result["content"]).decode("utf-8")
            records.append({"path": path, "record": read_record(path, text, runtime_dir, persistent_dir)})
        except UnicodeDecodeError:
            raise AnsibleFilterError("the window record %s is not UTF-8 text; nothing was changed" % path)
        except RecordError as exc:
            raise AnsibleFilterError(str(exc))
    return records


class FilterModule:
    def filters(self):
        return {"masking_window_records": masking_window_records}
