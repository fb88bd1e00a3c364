#!/usr/bin/python
# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: mask_info
short_description: Report which systemd units are masked, where, and since when
version_added: 1.0.0
description:
  - Without O(name), lists every masked unit of the system manager, each with its
    mask layer (persistent in C(/etc/systemd/system), runtime in
    C(/run/systemd/system), or both), the mask links and when each was made.
    Masks that packages ship under C(/lib/systemd/system) or
    C(/usr/lib/systemd/system) are listed too.
  - With O(name), reports exactly the named units, masked or not, including units
    that are not installed, so one task can check a baseline.
  - Reads the units in one batch and never changes anything.
author:
  - sysguard.systemd maintainers (@sysguard)
extends_documentation_fragment:
  - sysguard.systemd.attributes
  - sysguard.systemd.attributes.INFO_MODULE
  - sysguard.systemd.attributes.PLATFORM
  - sysguard.systemd.attributes.ACTION_GROUP
options:
  name:
    description:
      - Names of the units to report, with the same rules as
        O(sysguard.systemd.mask#module:name). A name without a type suffix means a
        C(.service).
      - When omitted, every masked unit is reported.
    type: list
    elements: str
  all_masks:
    description:
      - With O(name), report every other masked unit as well, in the same read, as
        without O(name). An audit reads a baseline's units and whatever else is
        masked this way, in one call.
    type: bool
    default: false
  check_names:
    description:
      - For each unit in O(name), say whether the name is a real unit, as
        O(sysguard.systemd.mask#module:unknown_names) checks it, in
        RV(units.name_check).
    type: bool
    default: false
  dependents:
    description:
      - For each unit in O(name), list the running or enabled units that
        C(Requires=), C(BindsTo=) or C(Requisite=) it (RV(units.dependents)),
        as O(sysguard.systemd.mask#module:dependents) finds them. Needs a
        running manager; elsewhere the lists are empty.
    type: bool
    default: false
  scope:
    description:
      - The manager whose masks to report, as in O(sysguard.systemd.mask#module:scope).
    type: str
    choices: [system, user, global]
    default: system
  root:
    description:
      - Report the system units of the OS tree at this path, which is not running,
        as in O(sysguard.systemd.mask#module:root).
    type: path
notes:
  - Where no manager runs (O(root), O(scope=global), or a host where systemd is
    not running), states come from the unit files and RV(units.active_state) is
    V(null).
  - A running unit can be masked (masked without C(now)); RV(units.active_state)
    tells.
seealso:
  - module: sysguard.systemd.mask
"""

EXAMPLES = r"""
- name: List every masked unit
  sysguard.systemd.mask_info:
  register: masks

- name: Show the units masked only until the next reboot
  ansible.builtin.debug:
    msg: "{{ masks.units | dict2items | selectattr('value.mask', 'eq', 'runtime') | map(attribute='key') }}"

- name: Read the units a baseline requires masked
  sysguard.systemd.mask_info:
    name: [inetd.service, cups, avahi-daemon]
  register: baseline

- name: Fail where one of them is not masked
  ansible.builtin.assert:
    that: baseline.not_masked == []
    fail_msg: "Not masked: {{ baseline.not_masked | join(', ') }}"

- name: Read a baseline's units and every other mask, with their name checks, in one call
  sysguard.systemd.mask_info:
    name: [inetd.service, ngnix.service]
    all_masks: true
    check_names: true
  register: audit
"""

RETURN = r"""
units:
  description:
    - One entry per unit, keyed by its full unit name (V(cups) becomes
      V(cups.service)).
    - Without O(name), every masked unit; with it, exactly the named units.
  returned: always
  type: dict
  contains:
    unit:
      description: The unit name, as the key.
      type: str
      sample: cron.service
    alias_of:
      description:
        - For an alias (a link to a unit of another name, shipped by a package or
          made by enabling a unit), the unit systemd loads under that name.
      returned: when the name is an alias
      type: str
      sample: reboot.target
    load_state:
      description: systemd's C(LoadState); V(masked) whatever the mask's layer.
      type: str
      sample: masked
    active_state:
      description: systemd's C(ActiveState); V(null) for a template.
      type: str
      sample: inactive
    unit_file_state:
      description:
        - The unit file state as C(systemctl list-unit-files) gives it (V(enabled),
          V(static), V(alias)...), for an instance without a file of its own its
          template's; V(masked) or V(masked-runtime) where the unit is masked;
          empty for a unit with no unit file.
      type: str
      sample: masked-runtime
    mask:
      description:
        - Which of the administrator's masks exist, V(none), V(runtime),
          V(persistent) or V(both).
        - A unit masked only by a package's link has V(none) here and
          RV(units.load_state=masked); RV(units.links) shows the package's link.
      type: str
      sample: runtime
    starts:
      description:
        - For a socket, path or timer, the unit it starts (C(Service=) or C(Unit=) in
          its file beneath any mask, else the unit of the same name).
      returned: for sockets, paths and timers
      type: str
      sample: cups.service
    blocked_by:
      description:
        - What is at the unit's name in the persistent directory (C(/etc/systemd/system))
          that is not a mask, and keeps C(systemctl mask) from writing one there.
        - C(path), C(kind) (V(file), V(alias), V(linked), V(dangling), V(ignored) or
          V(other)) and C(target), the link's text.
      returned: when something that is not a mask is there
      type: dict
      sample: {path: /etc/systemd/system/cups.service, kind: file, target: null}
    name_check:
      description: Whether the name is a real unit; as RV(sysguard.systemd.mask#module:units[].name_check).
      returned: with O(check_names), for the units in O(name)
      type: dict
      sample: {status: unknown, suggestions: [nginx.service]}
    dependents:
      description: The running or enabled units that need this one; as RV(sysguard.systemd.mask#module:units[].dependents).
      returned: with O(dependents), for the units in O(name)
      type: list
      elements: dict
      sample: []
    links:
      description:
        - Every mask of the unit at its own name in the persistent and runtime
          directories, and, for a unit masked otherwise, the mask that wins (a
          package's mask, its template's mask, or the mask of the unit it is an
          alias of).
      type: list
      elements: dict
      contains:
        path:
          description: The link.
          type: str
          sample: /run/systemd/system/cron.service
        layer:
          description: V(persistent), V(runtime) or V(vendor) (shipped by a package), or another layer of the search path.
          type: str
          sample: runtime
        target:
          description: What the link points to, as written; V(null) for an empty file, which systemd also takes for a mask.
          type: str
          sample: /dev/null
        since:
          description: When the link was made (its modification time), in UTC, ISO 8601.
          type: str
          sample: "2026-11-23T09:03:12Z"
  sample:
    cron.service:
      unit: cron.service
      load_state: masked
      active_state: inactive
      unit_file_state: masked-runtime
      mask: runtime
      links:
        - {path: /run/systemd/system/cron.service, layer: runtime, target: /dev/null, since: "2026-11-23T09:03:12Z"}
    telnet.socket:
      unit: telnet.socket
      load_state: masked
      active_state: inactive
      unit_file_state: masked
      mask: both
      links:
        - {path: /etc/systemd/system/telnet.socket, layer: persistent, target: /dev/null, since: "2026-10-02T14:40:55Z"}
        - {path: /run/systemd/system/telnet.socket, layer: runtime, target: /dev/null, since: "2026-11-23T09:03:12Z"}
    x11-common.service:
      unit: x11-common.service
      load_state: masked
      active_state: inactive
      unit_file_state: masked
      mask: none
      links:
        - {path: /lib/systemd/system/x11-common.service, layer: vendor, target: /dev/null, since: "2025-05-20T08:00:00Z"}
masked:
  description: The keys of RV(units) whose load state is V(masked).
  returned: always
  type: list
  elements: str
  sample: [cron.service, telnet.socket, x11-common.service]
not_masked:
  description: The keys of RV(units) whose load state is not V(masked).
  returned: always
  type: list
  elements: str
  sample: [cups.service]
skipped:
  description: Names of mask links found on disk that are not valid unit names, so were not read.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sysguard.systemd.plugins.module_utils.errors import ModuleFailure
from ansible_collections.sysguard.systemd.plugins.module_utils.mask_info import gather_mask_info
from ansible_collections.sysguard.systemd.plugins.module_utils.scopes import ScopeError, resolve_scope
from ansible_collections.sysguard.systemd.plugins.module_utils.systemctl import Systemctl


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="list", elements="str"),
            scope=dict(type="str", choices=["system", "user", "global"], default="system"),
            root=dict(type="path"),
            all_masks=dict(type="bool", default=False),
            check_names=dict(type="bool", default=False),
            dependents=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    try:
        try:
            scope = resolve_scope(module.params["scope"], module.params["root"])
        except ScopeError as exc:
            raise ModuleFailure(str(exc), {"changed": False})
        result = gather_mask_info(Systemctl(module, scope), scope, module.params["name"],
                                  all_masks=module.params["all_masks"], check_names=module.params["check_names"],
                                  dependents=module.params["dependents"])
    except ModuleFailure as exc:
        module.fail_json(msg=exc.msg, **exc.result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
