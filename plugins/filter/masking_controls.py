# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: masking_controls
short_description: How each benchmark control of a masking baseline stands after a mask call
version_added: 1.0.0
description:
  - Joins the controls that the items of a baseline name (their C(control) key, as
    the catalogs of the role P(sysguard.systemd.masking#role) carry) with the result
    of the M(sysguard.systemd.mask) call that applied it.
  - A control holds when every unit of it that is not excepted is as the baseline
    asks, masked or not, by systemd's load state, and none of its names is unknown
    (see O(sysguard.systemd.mask#module:unknown_names)).
  - This is the reporting step of the role; its result is C(masking_result.controls).
author:
  - sysguard.systemd maintainers (@sysguard)
positional: result
options:
  _input:
    description: The plan that P(sysguard.systemd.masking_batches#filter) made of the baseline.
    type: dict
    required: true
  result:
    description: The registered result of the M(sysguard.systemd.mask) call; V({}) where no call was made.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Report the baseline by control
  ansible.builtin.debug:
    msg: "{{ plan | sysguard.systemd.masking_controls(mask_result) | selectattr('compliant', 'false') | list }}"
"""

RETURN = r"""
_value:
  description: One entry per control, in the order the baseline first names them.
  type: list
  elements: dict
  contains:
    control:
      description: The control's ID.
      type: str
      sample: "2.1.11"
    title:
      description: The control's title, as the first item naming it gives it.
      type: str
    sources:
      description: The variables whose items name the control.
      type: list
      elements: str
    units:
      description: The units of the control.
      type: list
      elements: str
    holds:
      description: Units as the baseline asks.
      type: list
      elements: str
    fails:
      description: Units that are not (nothing was called for them, or the call left them otherwise).
      type: list
      elements: str
    excepted:
      description: Units that the host's exceptions leave alone.
      type: list
      elements: str
    unknown:
      description: Units whose names no host file and no Debian package knows.
      type: list
      elements: str
    compliant:
      description: No unit fails and none is unknown.
      type: bool
"""

from ansible_collections.sysguard.systemd.plugins.module_utils.baseline import controls_report


def masking_controls(plan, result):
    result = result or {}
    return controls_report(plan, result.get("units") or [], result.get("unknown") or [])


class FilterModule:
    def filters(self):
        return {"masking_controls": masking_controls}
