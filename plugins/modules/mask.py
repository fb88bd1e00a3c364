#!/usr/bin/python
# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: mask
short_description: Mask or unmask systemd units, many at once
version_added: 1.0.0
description:
  - Masks or unmasks a list of systemd units in one call. A masked unit's name is
    linked to C(/dev/null), so nothing can start it, neither an operator nor a
    dependency nor socket, path, timer or boot activation.
  - Give the units either as O(name) with one set of options, or as O(units), a
    list of items each with its own options (persistent and runtime masks,
    unmasks, stops), which one call plans and applies together.
  - Reads the state of all units in one batch, plans the change, applies it with
    one call per kind of action, then reads the units that changed again and
    fails if the change did not take effect.
  - Tells persistent masks (in C(/etc/systemd/system)) and runtime masks (in
    C(/run/systemd/system), gone at the next reboot) apart, and removes runtime
    masks on unmask, which plain C(systemctl unmask) does not.
  - Only ever removes masks, that is links to C(/dev/null). A unit file that
    blocks a mask is reported, never removed; a link to another unit at the name
    is replaced only when O(on_link=replace) asks it.
author:
  - sysguard.systemd maintainers (@sysguard)
extends_documentation_fragment:
  - sysguard.systemd.attributes
  - sysguard.systemd.attributes.PLATFORM
  - sysguard.systemd.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  name:
    description:
      - Names of the units.
      - A name without a type suffix means a C(.service), as with C(systemctl).
      - Templates (V(getty@.service)) and instances (V(getty@tty1.service)) are
        supported.
      - A name that is a link to another unit in C(/etc/systemd/system) or
        C(/run/systemd/system), an alias made by enabling a unit (V(sshd.service)
        to V(ssh.service)) or a linked unit file made by C(systemctl link), is
        decided by O(on_link); by default it is refused.
      - An alias a package ships in C(/lib/systemd/system), such as
        V(ctrl-alt-del.target) to V(reboot.target), is masked under its own name,
        as C(systemctl) does, which leaves the unit it names alone;
        RV(units[].alias_of) says which unit that is.
      - Names that systemd would refuse or silently rewrite (white space, other
        characters outside its set, paths, names starting with C(-), names over
        255 characters) fail the task before anything is changed, all listed.
      - Exactly one of O(name) and O(units) is required.
    type: list
    elements: str
  units:
    description:
      - The units as items, each with its own options, for a run that mixes
        persistent masks, runtime masks, unmasks and stops. One call reads all
        of them once, plans them together, and makes one call per kind of action
        for all items (unmasks first, then masks, then stops).
      - An option an item leaves out takes the value of the module option of the
        same name (O(state), O(runtime), O(now), O(triggers), O(on_link)), except
        that an item with C(state=unmasked) does not take O(now) on.
      - A unit named in two items (by the same name, by an alias and its unit, or
        as a trigger of a unit of another item) must be asked the same state,
        C(runtime) and C(now) by both; otherwise the task fails before any change,
        naming both.
      - Exactly one of O(name) and O(units) is required.
    type: list
    elements: dict
    suboptions:
      name:
        description: Names of the units of this item, as for O(name).
        type: list
        elements: str
        required: true
      state:
        description: As O(state), for this item.
        type: str
        choices: [masked, unmasked]
      runtime:
        description: As O(runtime), for this item.
        type: bool
      now:
        description: As O(now), for this item.
        type: bool
      triggers:
        description: As O(triggers), for this item.
        type: bool
      on_link:
        description: As O(on_link), for this item.
        type: str
        choices: [refuse, follow, replace]
  state:
    description:
      - V(masked) masks the units; V(unmasked) removes their masks.
    type: str
    choices: [masked, unmasked]
    default: masked
  runtime:
    description:
      - With O(state=masked), masks the units at least until the next reboot, with a
        mask in C(/run/systemd/system). A unit that already has a persistent mask
        is left as it is.
      - With O(state=unmasked), removes only runtime masks; persistent masks stay.
      - When V(false), O(state=masked) makes each mask persistent, and
        O(state=unmasked) removes every mask of the unit, runtime ones included.
      - A runtime mask is refused where nothing would read it, under O(root) and
        on a host where systemd is not running (where it would also create
        C(/run/systemd/system), which tools take as a sign that systemd runs).
    type: bool
    default: false
  now:
    description:
      - With O(state=masked), also stops the units. A masked unit that is still
        running counts as a change to make.
      - Only valid with O(state=masked), and not with templates, which never run
        themselves. An O(units) item with C(state=unmasked) does not take this
        option's value on; one that sets C(now=true) itself is refused.
    type: bool
    default: false
  scope:
    description:
      - V(system) is the system manager.
      - V(user) is the manager of the user the module runs as (use C(become_user));
        masks live in C(~/.config/systemd/user) and C($XDG_RUNTIME_DIR/systemd/user).
        Where C(XDG_RUNTIME_DIR) is unset, C(/run/user/UID) is used. The user
        needs a running manager, for example through lingering
        (C(loginctl enable-linger USER)).
      - V(global) is the unit files of every user (C(systemctl --global)), with
        masks in C(/etc/systemd/user) and C(/run/systemd/user). No manager runs
        there, so O(now) and O(triggers) are refused.
    type: str
    choices: [system, user, global]
    default: system
  root:
    description:
      - Work on the system units of the OS tree at this path, which is not running
        (C(systemctl --root)), as image builds and chroots need. State is read from
        the unit files and links in the tree; O(now), O(triggers), O(runtime) and
        O(scope=user) are refused.
      - Links in the tree are read as the tree means them (an absolute link from
        the tree's root). A unit directory or link that leads out of the tree is
        refused, naming it, before any change.
      - An empty value is refused (an unset variable must not mean the host); V(/)
        is the host itself.
      - Without O(root), on a host where systemd is not running (a container build
        step), the module works the same way on the host's own unit files.
    type: path
  on_link:
    description:
      - What to do with a name that is a link to another unit at the place of the
        mask, in C(/etc/systemd/system) or C(/run/systemd/system). Masking the
        name itself would leave that unit free to start, so the module never
        guesses.
      - V(refuse) fails before any change, naming the link, its target and the
        two ways out below.
      - V(follow) acts on the unit the link names instead (masking
        V(display-manager.service) masks V(gdm3.service)). A linked unit file has
        no other unit to follow to and is refused.
      - V(replace) replaces the link with the mask, as C(systemctl mask --force)
        does. Only the name is masked, and the link is gone (enabling the unit
        again makes it anew). The link is the only thing other than a mask this
        module ever removes, and only with this choice.
      - RV(units[].link) reports the link and what was done with it.
      - Unmasking acts on the name's own masks, unless O(on_link=follow).
    type: str
    choices: [refuse, follow, replace]
    default: refuse
  protect:
    description:
      - Units this call refuses to mask. The check is made after aliases are
        resolved and triggers added, so a protected unit cannot be masked through
        an alias of it, through one of its names, or as a trigger; a protected
        template (V(getty@.service)) protects each of its instances.
      - The role P(sysguard.systemd.masking#role) passes its C(masking_protected_units) here.
    type: list
    elements: str
    default: []
  exclusive:
    description:
      - Also remove every administrator's mask, in C(/etc/systemd/system) or
        C(/run/systemd/system) (or the scope's directories), of a unit that this
        call does not name (in O(name), O(units) or as a trigger) and O(keep) does
        not list, so that the host has the masks the call asks and no others.
      - Packages' own masks are never removed. The units are unmasked in the same
        call, from every layer, and listed in RV(exclusive); check mode and diff
        mode show them like any other change.
    type: bool
    default: false
  keep:
    description:
      - With O(exclusive), units whose masks stay although the call does not name
        them (the masks of an open maintenance window, a site's own list).
    type: list
    elements: str
    default: []
  unknown_names:
    description:
      - What to do with a name to mask that is not a unit anywhere, a typo
        (V(ngnix.service)) or a unit no package ships (V(journald.service)). Its
        mask is written and kept, and protects nothing.
      - A name counts as known when the host has it (a unit file or alias, an
        instance's template, a package's mask, a generated unit, a SysV script in
        C(/etc/init.d)) or, on Debian, when one of Debian's packages ships it,
        by the unit index the collection carries (Debian 11 to 14). Masking a
        unit before its package is installed stays a normal thing to do.
      - V(warn) writes one warning that lists the unknown names, each with the
        closest known names; V(fail) fails before any change, with the same
        list; V(ignore) does not check, and reads nothing more.
      - On a host that is not Debian (C(ID) in os-release), only installed names
        count as known and the others are reported as C(not_checked), never as
        unknown, since the index knows nothing of other distributions' packages.
      - Only names to mask are checked, not the triggers O(triggers) adds.
    type: str
    choices: [warn, fail, ignore]
    default: warn
  dependents:
    description:
      - What to do when a unit to mask is needed by a unit that runs or is enabled,
        one that C(Requires=), C(BindsTo=) or C(Requisite=) it. Masking stops that
        unit along with the masked one, or makes it fail at its next start.
      - Before any change, the units to mask that systemd had loaded before the
        module read them (one C(ListUnitsByPatterns) call through C(busctl), which
        loads nothing) are asked for their C(RequiredBy), C(BoundBy) and
        C(RequisiteOf) (one C(systemctl show), and one more for the states of the
        units found). A unit that is not loaded has no loaded unit depending on
        it (loading a unit loads what it depends on), so a baseline of units that
        are not loaded costs no C(show). Units masked in
        the same call are not counted.
      - An enabled unit that systemd has not loaded (enabled for a target the
        host has not reached) is not seen.
      - V(warn) masks and writes one warning naming each unit and what needs it;
        V(refuse) fails before any change with the same list; V(ignore) asks
        nothing.
      - RV(units[].dependents) and RV(dependents) list them. Only where a manager
        runs, so not under O(root), nor for O(scope=global).
    type: str
    choices: [warn, refuse, ignore]
    default: warn
  triggers:
    description:
      - Also mask (or unmask) the units that can start the named ones, the sockets,
        paths and timers in their C(TriggeredBy), so that masking V(cups.service)
        also closes V(cups.socket) and V(cups.path). RV(triggers) lists them.
      - Masked triggers no longer appear in C(TriggeredBy); to unmask, the
        same-name socket, path and timer that carry a mask are taken as well.
      - Needs a running manager.
    type: bool
    default: false
notes:
  - Masking a unit that is not installed works, so a baseline can mask units
    before a package brings them. Unmasking a unit that has no mask changes
    nothing.
  - A unit file already at the unit's name in C(/etc/systemd/system) keeps
    C(systemctl mask) from writing the mask, and a runtime mask cannot override
    it either, because C(/etc) outranks C(/run). The module fails, naming the
    file, before changing anything.
  - Every change is first tried on the unit directories as read, with systemd's
    own lookup rules (search path, precedence, aliases, templates, what counts as
    a mask), so a mask systemd would not honour, or an unmask that would leave
    the unit masked (by a package's mask, say), is refused before any change.
    After the change, the module reads the units that changed again and fails if
    systemd's load state is not what was planned.
  - When several units are changed and one call fails, the module reads the
    units again and its result still lists what did change.
  - Where no manager runs (O(root), O(scope=global), or a host where systemd is
    not running), RV(units[].before.active_state) is V(null) and only unit
    files change.
  - The units are read from their unit directories and with one D-Bus call to
    the manager, C(ListUnitsByNames) through C(busctl), which gives systemd's own
    load state and active state for all of them at once; where C(busctl) or the
    bus is missing, C(systemctl show) does the same, slower. With O(triggers),
    one C(systemctl show) reads C(TriggeredBy).
  - Where the manager answered the read through C(busctl), masks and unmasks
    are the manager's own C(MaskUnitFiles) and C(UnmaskUnitFiles) methods (what
    C(systemctl mask) and C(unmask) call), one call for each kind of change,
    then one C(systemctl daemon-reload). C(systemctl mask) also asks the manager
    about each unit, before the method and after it, for a notice (the unit
    does not exist) and a warning (units that can still start it) on its
    output, which the module never showed; those questions cost more than the
    mask itself. O(unknown_names) and O(triggers) are the module's own answers
    to both. Where C(busctl) is missing, a C(busctl) call failed in the run, the
    bus named other units than the unit files say, or C(systemctl) would work
    without the manager (in a chroot, or with E(SYSTEMD_OFFLINE)), C(systemctl
    mask) and C(unmask) make the change; a method call that fails is made again
    with them.
  - The C(systemctl) commands run are C(mask), C(unmask) (where the bus did not
    answer), C(daemon-reload), C(stop) and C(show) (see above, and
    O(dependents)); RV(commands) lists every command run, reads included.
seealso:
  - module: ansible.builtin.systemd_service
  - module: sysguard.systemd.mask_info
"""

EXAMPLES = r"""
- name: Close legacy network services for good and stop them now
  sysguard.systemd.mask:
    name:
      - inetd.service
      - cups
      - avahi-daemon.service
    now: true

- name: Keep cron from starting until the next reboot
  sysguard.systemd.mask:
    name: cron
    runtime: true
    now: true

- name: Remove only the runtime masks again, leaving persistent ones
  sysguard.systemd.mask:
    name: cron
    state: unmasked
    runtime: true

- name: Remove every mask from a unit, runtime masks included
  sysguard.systemd.mask:
    name: [cron.service, getty@tty1.service]
    state: unmasked

- name: Apply a mixed baseline in one call (one read, one plan, one verify)
  sysguard.systemd.mask:
    units:
      - name: [inetd.service, tftpd-hpa.service]
      - name: [avahi-daemon.service, cups.service]
        now: true
      - name: bluetooth.service
        runtime: true
      - name: atd.service
        state: unmasked
    protect: [ssh.service]

- name: Fail before any change when a name to mask is a typo (no unit, no Debian package)
  sysguard.systemd.mask:
    name: [ngnix.service, inetd.service]
    unknown_names: fail
  # msg: nothing was changed: unknown unit name, ...: ngnix.service (did you mean nginx.service?). ...

- name: Mask nslcd, but not while a running or enabled unit still requires it
  sysguard.systemd.mask:
    name: nslcd.service
    dependents: refuse

- name: Have exactly the baseline's masks, keeping the ones a maintenance window made
  sysguard.systemd.mask:
    name: [inetd.service, cups.service, debug-shell.service]
    exclusive: true
    keep: [cron.service]

- name: Mask a template, so none of its instances can start
  sysguard.systemd.mask:
    name: serial-getty@.service

- name: Close cups and everything that can start it
  sysguard.systemd.mask:
    name: cups
    triggers: true
    now: true

- name: Disable Ctrl-Alt-Del (ctrl-alt-del.target is a package's alias of reboot.target, masked under its own name)
  sysguard.systemd.mask:
    name: ctrl-alt-del.target

- name: Where reboot.target was enabled, the alias is a link in /etc; replace it, reboot.target stays
  sysguard.systemd.mask:
    name: ctrl-alt-del.target
    on_link: replace

- name: Mask whichever display manager display-manager.service links to
  sysguard.systemd.mask:
    name: display-manager.service
    on_link: follow

- name: Never mask what keeps the host reachable, whatever name it is asked by
  sysguard.systemd.mask:
    name: "{{ baseline_units }}"
    protect: [ssh.service, systemd-resolved.service, getty@.service]

- name: Mask a unit in an image being built
  sysguard.systemd.mask:
    name: [apt-daily.timer, apt-daily-upgrade.timer]
    root: /srv/images/bookworm

- name: Mask a unit of a user's own manager until the next reboot
  sysguard.systemd.mask:
    name: pipewire.socket
    scope: user
    runtime: true
  become: true
  become_user: alice
"""

RETURN = r"""
units:
  description:
    - One entry per requested unit, in the order asked, with its state before and
      after the run.
    - In check mode, RV(units[].after) is the state the run would produce; a value
      only systemd can tell after the change (the load state of a unit once
      unmasked) is V(null) there.
    - The sample is a run with O(on_link=follow), where V(sshd) is the alias link
      that enabling ssh makes.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The name as asked for.
      type: str
      sample: sshd
    unit:
      description: The unit acted on; differs from RV(units[].name) for an alias or a name without suffix.
      type: str
      sample: ssh.service
    changed:
      description: Whether this unit's state changed (or would, in check mode).
      type: bool
      sample: true
    before:
      description: The unit's state before the run.
      type: dict
      contains:
        load_state:
          description: systemd's C(LoadState), for example V(loaded), V(masked), V(not-found).
          type: str
          sample: loaded
        active_state:
          description: systemd's C(ActiveState); V(null) for a template, and where no manager runs.
          type: str
          sample: active
        mask:
          description: Which masks exist, V(none), V(runtime), V(persistent) or V(both).
          type: str
          sample: none
    alias_of:
      description: For a name that a package ships as an alias of another unit, that unit; the name alone is masked.
      returned: when the name is such an alias
      type: str
      sample: reboot.target
    link:
      description: The link to another unit found at the name (see O(on_link)), and what was done with it.
      returned: when the name is such a link
      type: dict
      contains:
        path:
          description: The link.
          type: str
          sample: /etc/systemd/system/display-manager.service
        target:
          description: What the link points to, as written.
          type: str
          sample: /lib/systemd/system/gdm3.service
        kind:
          description:
            - V(alias) (a link to a unit of another name), V(linked) (a unit file
              linked from elsewhere) or V(dangling) (a link to a file that does not exist).
          type: str
          sample: alias
        action:
          description: V(follow), V(replace), or V(null) where the name's own masks were removed.
          type: str
          sample: follow
    name_check:
      description:
        - Whether the name is a real unit (see O(unknown_names)). C(status) is
          V(installed) (the host has it), V(packaged) (not installed; C(packages)
          maps Debian releases to the packages that ship it), V(referenced) (a
          package ships a drop-in for the name; C(packages) names those),
          V(unknown) (C(suggestions) lists the closest known names, best first)
          or V(not_checked) (not installed, on a host that is not Debian).
      returned: for names to mask, unless O(unknown_names=ignore)
      type: dict
      sample: {status: unknown, suggestions: [nginx.service]}
    dependents:
      description:
        - The units that run or are enabled and need this one (see O(dependents)).
        - Each has C(unit), C(dependency) (V(Requires), V(BindsTo) or V(Requisite)),
          C(active_state) and C(unit_file_state).
      returned: when the unit is to be masked and such units exist, unless O(dependents=ignore)
      type: list
      elements: dict
      sample: [{unit: sssd.service, dependency: Requires, active_state: active, unit_file_state: enabled}]
    trigger_of:
      description: For a unit that came in through O(triggers), the requested units it can start.
      returned: when the unit came in as a trigger
      type: list
      elements: str
      sample: [cups.service]
    after:
      description: The unit's state after the run, with the same keys as RV(units[].before).
      type: dict
      sample:
        load_state: masked
        active_state: inactive
        mask: persistent
  sample:
    - name: sshd
      unit: ssh.service
      changed: true
      link: {path: /etc/systemd/system/sshd.service, target: /lib/systemd/system/ssh.service, kind: alias, action: follow}
      before: {load_state: loaded, active_state: active, mask: none}
      after: {load_state: masked, active_state: inactive, mask: persistent}
    - name: telnet.socket
      unit: telnet.socket
      changed: true
      before: {load_state: not-found, active_state: inactive, mask: none}
      after: {load_state: masked, active_state: inactive, mask: persistent}
masked:
  description: Units that got a mask in this run (or would, in check mode).
  returned: always
  type: list
  elements: str
  sample: [ssh.service, telnet.socket]
unmasked:
  description: Units that lost a mask in this run (or would, in check mode).
  returned: always
  type: list
  elements: str
  sample: []
stopped:
  description: Units stopped in this run because of O(now) (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [ssh.service]
triggers:
  description: Units that came in through O(triggers) (empty without it).
  returned: always
  type: list
  elements: str
  sample: [cups.socket, cups.path]
unknown:
  description:
    - The names to mask that are neither installed nor shipped by a Debian package
      the unit index knows, as asked (see O(unknown_names)); empty with
      O(unknown_names=ignore).
  returned: always
  type: list
  elements: str
  sample: [ngnix.service]
exclusive:
  description: The units whose masks O(exclusive) removes (or would, in check mode), because nothing names them.
  returned: always
  type: list
  elements: str
  sample: [bluetooth.service]
dependents:
  description:
    - By unit to mask, the units that run or are enabled and need it (see
      O(dependents)); empty where there are none or nothing was asked.
  returned: always
  type: dict
  sample: {nslcd.service: [sssd.service]}
unit_index:
  description:
    - Whether the unit index was read for this host, and why not. Only read where
      a name to mask is not installed.
  returned: when a name to mask is not installed, unless O(unknown_names=ignore)
  type: dict
  contains:
    used:
      description: Whether the index was consulted (only on Debian).
      type: bool
    release:
      description:
        - The Debian release whose packages were looked up first.
        - V(null) where the index does not hold the host's release, and every release it holds was read.
      type: str
    reason:
      description: Why the index was not consulted, or V(null).
      type: str
  sample: {used: true, release: bookworm, reason: null}
commands:
  description: The C(systemctl) and C(busctl) argument lists run, reads included, in order.
  returned: success
  type: list
  elements: list
  sample:
    - [/usr/bin/busctl, --system, --json=short, "--", call, org.freedesktop.systemd1, /org/freedesktop/systemd1,
       org.freedesktop.systemd1.Manager, ListUnitsByNames, as, "2", ssh.service, telnet.socket]
    - [/usr/bin/busctl, --system, --json=short, "--", call, org.freedesktop.systemd1, /org/freedesktop/systemd1,
       org.freedesktop.systemd1.Manager, MaskUnitFiles, asbb, "2", ssh.service, telnet.socket, "false", "false"]
    - [/usr/bin/systemctl, daemon-reload]
    - [/usr/bin/systemctl, stop, "--", ssh.service]
    - [/usr/bin/busctl, --system, --json=short, "--", call, org.freedesktop.systemd1, /org/freedesktop/systemd1,
       org.freedesktop.systemd1.Manager, ListUnitsByNames, as, "2", ssh.service, telnet.socket]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sysguard.systemd.plugins.module_utils.errors import ModuleFailure
from ansible_collections.sysguard.systemd.plugins.module_utils.mask_plan import MaskRequest
from ansible_collections.sysguard.systemd.plugins.module_utils.masking import RequestItem, empty_result, run_masking
from ansible_collections.sysguard.systemd.plugins.module_utils.scopes import ScopeError, resolve_scope
from ansible_collections.sysguard.systemd.plugins.module_utils.systemctl import Systemctl

# The options a units item may set for itself; what it leaves out comes from the module's.
ITEM_OPTIONS = ("state", "runtime", "now", "triggers", "on_link")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="list", elements="str"),
            units=dict(type="list", elements="dict", options=dict(
                name=dict(type="list", elements="str", required=True),
                state=dict(type="str", choices=["masked", "unmasked"]),
                runtime=dict(type="bool"),
                now=dict(type="bool"),
                triggers=dict(type="bool"),
                on_link=dict(type="str", choices=["refuse", "follow", "replace"]),
            )),
            state=dict(type="str", choices=["masked", "unmasked"], default="masked"),
            runtime=dict(type="bool", default=False),
            now=dict(type="bool", default=False),
            scope=dict(type="str", choices=["system", "user", "global"], default="system"),
            root=dict(type="path"),
            triggers=dict(type="bool", default=False),
            on_link=dict(type="str", choices=["refuse", "follow", "replace"], default="refuse"),
            protect=dict(type="list", elements="str", default=[]),
            unknown_names=dict(type="str", choices=["warn", "fail", "ignore"], default="warn"),
            dependents=dict(type="str", choices=["warn", "refuse", "ignore"], default="warn"),
            exclusive=dict(type="bool", default=False),
            keep=dict(type="list", elements="str", default=[]),
        ),
        required_one_of=[("name", "units")],
        mutually_exclusive=[("name", "units")],
        supports_check_mode=True,
    )
    if module.params["keep"] and not module.params["exclusive"]:
        module.fail_json(msg="keep lists masks that exclusive=true leaves; without exclusive it would do nothing: "
                             "set exclusive=true, or leave keep out", **empty_result())
    try:
        try:
            scope = resolve_scope(module.params["scope"], module.params["root"])
        except ScopeError as exc:
            raise ModuleFailure(str(exc), empty_result())
        result = run_masking(
            Systemctl(module, scope),
            request_items(module.params),
            scope,
            protect=module.params["protect"],
            check_mode=module.check_mode,
            diff=module._diff,
            unknown_names=module.params["unknown_names"],
            dependents=module.params["dependents"],
            exclusive=module.params["exclusive"],
            keep=module.params["keep"],
        )
    except ModuleFailure as exc:
        _give_warnings(module, exc.result)
        module.fail_json(msg=exc.msg, **exc.result)
    _give_warnings(module, result)
    module.exit_json(**result)


def _give_warnings(module, result):
    for message in result.pop("_warnings", ()):
        module.warn(message)


def request_items(params):
    """The RequestItems of the call: one for O(name), one per O(units) item."""
    defaults = dict((option, params[option]) for option in ITEM_OPTIONS)
    if params["units"] is None:
        return [RequestItem(None, params["name"], MaskRequest(**defaults))]
    items = []
    for index, item in enumerate(params["units"]):
        options = dict((o, defaults[o] if item[o] is None else item[o]) for o in ITEM_OPTIONS)
        if options["state"] == "unmasked" and item["now"] is None:
            options["now"] = False  # now stops what is masked; an unmask item does not take it on
        items.append(RequestItem("units[%d]" % index, item["name"], MaskRequest(**options)))
    return items


if __name__ == "__main__":
    main()
