# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: masking_audit
short_description: Classify a host's units against a masking baseline
version_added: 1.0.0
description:
  - Takes the plan of a baseline (P(sysguard.systemd.masking_batches#filter)) and what
    M(sysguard.systemd.mask_info) read on a host (with the plan's units as O(sysguard.systemd.mask_info#module:name)
    and O(sysguard.systemd.mask_info#module:all_masks)), and gives each unit one class.
  - Classes of the baseline's units are V(compliant), V(missing) (asked masked, not
    masked), V(blocked) (not masked, and a file or link at its name in
    C(/etc/systemd/system) keeps the mask from being written), V(runtime_only) (masked
    only until the next reboot), V(unknown) (a name no unit has, whose mask protects
    nothing), V(still_masked) (asked unmasked) and V(excepted).
  - An administrator's mask that no layer names is V(unexpected), or V(window) where an
    open maintenance window made it. Packages' own masks are listed apart, never as drift.
  - This is the classifying step of the role P(sysguard.systemd.masking#role)'s C(audit) entry point.
author:
  - sysguard.systemd maintainers (@sysguard)
positional: info, window_units
options:
  _input:
    description: The plan of the baseline.
    type: dict
    required: true
  info:
    description: The registered result of M(sysguard.systemd.mask_info).
    type: dict
    required: true
  window_units:
    description: The units that the host's open maintenance windows masked.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Classify this host's units
  ansible.builtin.set_fact:
    audit: "{{ plan | sysguard.systemd.masking_audit(info) }}"
"""

RETURN = r"""
_value:
  description: The audit of the host.
  type: dict
  contains:
    drift:
      description: Whether a unit is in a drift class (missing, blocked, unknown, runtime_only, still_masked, unexpected).
      type: bool
    counts:
      description: The number of units in each class.
      type: dict
    units:
      description:
        - One entry per unit, baseline first (C(unit), C(class), C(wanted), C(load_state),
          C(active_state), C(mask), C(since), C(controls), and where they apply C(why),
          C(blocked_by), C(suggestions), C(dependents)).
      type: list
      elements: dict
    vendor:
      description: Masks that packages ship (C(unit), C(path), C(since)).
      type: list
      elements: dict
    controls:
      description: One entry per control the baseline names, with C(status) V(compliant), V(drift) or V(excepted).
      type: list
      elements: dict
    dependents:
      description: By unit of the baseline, the running or enabled units that need it.
      type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.sysguard.systemd.plugins.module_utils.audit import classify_host


def masking_audit(plan, info, window_units=None):
    try:
        return classify_host(plan, info, window_units or [])
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:
    def filters(self):
        return {"masking_audit": masking_audit}
