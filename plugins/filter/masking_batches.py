# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: masking_batches
short_description: Group a layered masking baseline into the items of one mask call
version_added: 1.0.0
description:
  - Merges the layers of a baseline (for example C(masking_units__baseline) from
    C(group_vars/all) and C(masking_units__web) from C(group_vars/web)), drops the
    exceptions, refuses protected units, and groups the rest by option set, unmask
    batches first.
  - This is the planning step of the role P(sysguard.systemd.masking#role); the batches
    are the items of the O(sysguard.systemd.mask#module:units) option of its one
    M(sysguard.systemd.mask) call.
  - Two layers asking the same state for a unit merge to the stronger request (a
    persistent mask covers a runtime one; C(now) if any layer asks it). A unit asked
    masked by one layer and unmasked by another fails, naming both.
author:
  - sysguard.systemd maintainers (@sysguard)
positional: defaults, exceptions, protected, allow_protected
options:
  _input:
    description:
      - The layers, a dictionary of source name to list of items.
      - An item is a unit name or a dictionary with C(name) and any of C(state), C(runtime), C(now), C(triggers).
    type: dict
    required: true
  defaults:
    description: C(state), C(runtime), C(now) and C(triggers) for items that do not set them.
    type: dict
    required: true
  exceptions:
    description: Units to leave alone whatever the layers say.
    type: list
    elements: str
    default: []
  protected:
    description: Units that must not be masked unless O(allow_protected) is set.
    type: list
    elements: str
    default: []
  allow_protected:
    description: Lift the guard on O(protected).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Plan the calls for two layers
  ansible.builtin.debug:
    msg: >-
      {{ {'masking_units__baseline': ['telnet.socket', 'cups'],
          'masking_units__web': [{'name': 'cups', 'now': true}, {'name': 'atd', 'state': 'unmasked'}]}
         | sysguard.systemd.masking_batches({'state': 'masked', 'runtime': false, 'now': false, 'triggers': false}) }}
  # batches: [{state: unmasked, runtime: false, now: false, triggers: false, name: [atd.service]},
  #           {state: masked, runtime: false, now: false, triggers: false, name: [telnet.socket]},
  #           {state: masked, runtime: false, now: true, triggers: false, name: [cups.service]}]
  # skipped: []
"""

RETURN = r"""
_value:
  description: The plan for one M(sysguard.systemd.mask) call.
  type: dict
  contains:
    batches:
      description:
        - The items of O(sysguard.systemd.mask#module:units), one per option set,
          unmask batches first.
        - Each has C(state), C(runtime), C(now), C(triggers) and C(name), the list
          of unit names (with their type suffix) it applies to.
      type: list
      elements: dict
    skipped:
      description: The units the layers name that O(exceptions) leaves alone.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.sysguard.systemd.plugins.module_utils.baseline import (
    BaselineError,
    plan_baseline,
)


def masking_batches(layers, defaults, exceptions=None, protected=None, allow_protected=False):
    try:
        return plan_baseline(layers, defaults, exceptions or [], protected or [], allow_protected)
    except BaselineError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:
    def filters(self):
        return {"masking_batches": masking_batches}
