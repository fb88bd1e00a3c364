# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: masking_window_seal
short_description: Seal the record of a maintenance window before it is written
version_added: 1.0.0
description:
  - Adds the format and a checksum of the content to the record of a maintenance
    window, so that P(sysguard.systemd.masking_window_records#filter) refuses the
    record if anyone edits it afterwards.
  - The checksum detects edits and damage; it is not a signature.
author:
  - sysguard.systemd maintainers (@sysguard)
options:
  _input:
    description: The record, with C(window), C(mode), C(opened), C(units), C(masked) and C(stopped).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the record of a window
  ansible.builtin.copy:
    dest: /var/lib/sysguard-systemd/windows/patching.json
    mode: "0600"
    content: "{{ record | sysguard.systemd.masking_window_seal | to_nice_json }}\n"
  vars:
    record:
      window: patching
      mode: persistent
      opened: "2026-12-06T10:00:00Z"
      units: [cron.service]
      masked: [cron.service]
      stopped: [cron.service]
"""

RETURN = r"""
_value:
  description: The record with C(format) and C(checksum) added.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.sysguard.systemd.plugins.module_utils.window_record import (
    RecordError,
    seal_record,
)


def masking_window_seal(record):
    try:
        return seal_record(record)
    except RecordError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:
    def filters(self):
        return {"masking_window_seal": masking_window_seal}
