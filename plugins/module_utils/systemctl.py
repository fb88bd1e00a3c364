# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""The systemctl (and busctl) commands the collection runs, as argument lists.

Every command takes many units at once and puts "--" before them, so a unit name
can never be read as an option. No shell is involved.
"""

from __future__ import annotations

import json
import os

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import parse_show

# The manager's D-Bus method that loads and lists many units in one call.
_MANAGER = ("org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager")

# systemd's load states: an answer with anything else is not read as one.
LOAD_STATES = ("stub", "loaded", "not-found", "bad-setting", "error", "merged", "masked")

# Plain, untranslated, uncoloured output that can be parsed.
_ENVIRONMENT = {"LC_ALL": "C", "LANGUAGE": "C", "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": ""}


class SystemctlError(Exception):
    """A systemctl command failed."""

    def __init__(self, argv, rc, stdout, stderr):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        super().__init__("'%s' failed with exit code %d: %s" % (
            " ".join(argv), rc, (stderr or stdout).strip()))


class Systemctl:
    """Runs systemctl through an AnsibleModule's run_command, for one scope.

    ``scope`` is a scopes.Scope: its flags (--user, --global, --root=) go before
    every command, and where no manager runs, nothing asks for a reload.
    """

    def __init__(self, module, scope):
        self._module = module
        self._scope = scope
        self._environment = dict(_ENVIRONMENT, **scope.environment)
        self.path = module.get_bin_path("systemctl", required=True)
        # busctl comes with systemd; where a distribution leaves it out, `show` does its work, slower.
        # In a chroot (or with SYSTEMD_OFFLINE=1) systemctl works on the files and leaves
        # the manager alone, while busctl could still reach the manager of the host around
        # it through a shared /run: the bus is left out there, for reads and changes.
        self.busctl = module.get_bin_path("busctl") if scope.manager and not systemctl_offline() else None
        # busctl goes through the bus, systemctl (as root) straight to the manager: the bus
        # addresses are pinned to the scope's own, so that an inherited
        # DBUS_*_BUS_ADDRESS cannot make busctl ask another manager than systemctl acts on.
        self._bus_environment = dict(self._environment, **scope.bus_environment)
        # Whether the manager answered through busctl in this run, as systemctl's own
        # manager would: None until asked; False for good once busctl failed or
        # answered for other units. Masks and unmasks go through the bus only where
        # it is True (see mask()).
        self._bus_answers = None
        self.commands = []
        """Every argument list run, in order: reported back to the user."""

    def _run(self, args, allowed_rc=(0,)):
        return self._run_argv([self.path] + self._scope.flags + args, allowed_rc)

    def _call_manager(self, method, signature, *args):
        """One busctl call of the manager's ``method``: its reply, as JSON text.
        Raises SystemctlError where busctl fails."""
        bus = "--user" if "--user" in self._scope.flags else "--system"
        return self._run_argv([self.busctl, bus, "--json=short", "--", "call"] + list(_MANAGER)
                              + [method, signature] + [str(a) for a in args],
                              environment=self._bus_environment)

    def _run_argv(self, argv, allowed_rc=(0,), environment=None):
        self.commands.append(argv)
        rc, stdout, stderr = self._module.run_command(argv, environ_update=environment or self._environment)
        if rc not in allowed_rc:
            raise SystemctlError(argv, rc, stdout, stderr)
        return stdout

    def show(self, units, properties):
        """`systemctl show` of ``properties`` for all ``units``: one dict per unit, in order.

        Templates are not allowed.
        """
        return parse_show(self._run(["show", "--property=" + ",".join(properties), "--"] + list(units)))

    def list_units_by_names(self, units):
        """The manager's view of ``units``: [(id, load state, active state)], in order.

        One D-Bus call, ListUnitsByNames, which loads every unit it is asked
        about, as `systemctl show` does, but answers for all of them at once:
        `show` asks for each unit's properties one by one, which costs about
        1.5 ms a unit against 0.2 ms here. Templates are refused by the manager.
        busctl needs the bus (dbus-daemon or dbus-broker), which systemctl can
        do without; where busctl is missing, the bus does not answer, or the
        answer is not the expected list, show_units asks the same question.
        """
        units = list(units)
        if not units:
            return []
        if self.busctl is not None:
            try:
                reply = json.loads(self._call_manager("ListUnitsByNames", "as", len(units), *units))
                listed = _listed_units(reply["data"][0])
                self._bus_answered()
                return listed
            except (SystemctlError, ValueError, KeyError, IndexError, TypeError):
                self._bus_answers = False
        return self.show_units(units)

    def loaded_units(self, units):
        """Which of ``units`` the manager has loaded now, without loading any: a set.

        One D-Bus call, ListUnitsByPatterns, which lists loaded units only;
        where busctl or the bus does not answer, `systemctl list-units --all`
        does the same. A name with characters that patterns read as wildcards
        or escapes (``\\``, ``*``, ``?``, ``[``) is counted as loaded, so that
        it is never left out of what comes next.
        """
        units = list(units)
        literal = [unit for unit in units if not any(c in unit for c in "\\*?[")]
        loaded = set(units) - set(literal)
        if not literal:
            return loaded
        if self.busctl is not None:
            try:
                reply = json.loads(self._call_manager("ListUnitsByPatterns", "asas", 0, len(literal), *literal))
                loaded |= set(row[0] for row in _listed_units(reply["data"][0]))
                self._bus_answered()
                return loaded
            except (SystemctlError, ValueError, KeyError, IndexError, TypeError):
                self._bus_answers = False
        out = self._run(["list-units", "--all", "--full", "--plain", "--no-legend", "--"] + literal,
                        allowed_rc=(0, 1))
        # A failed unit's line starts with a marker ("●", "*" without UTF-8).
        return loaded | set(next(word for word in line.split() if word not in ("●", "*"))
                            for line in out.splitlines() if line.strip())

    def _bus_answered(self):
        if self._bus_answers is None:
            self._bus_answers = True

    def bus_disagrees(self):
        """The bus named other units than the unit files say: ask and change
        through systemctl alone from now on."""
        self._bus_answers = False

    def show_units(self, units):
        """What list_units_by_names answers, from systemctl's own manager, slower."""
        return [(b.get("Id", ""), b.get("LoadState", ""), b.get("ActiveState", ""))
                for b in self.show(units, ("Id", "LoadState", "ActiveState"))]

    def list_unit_files(self, units):
        """`systemctl list-unit-files` for ``units`` (templates work here)."""
        # Exit code 1 means none of them has a unit file.
        return self._run(["list-unit-files", "--no-legend", "--full", "--"] + list(units),
                         allowed_rc=(0, 1))

    def mask(self, units, runtime=False, reload=True, force=False):
        """Mask ``units``: one call for all of them, then one daemon reload (with ``reload``).

        Where the manager has answered through busctl, its MaskUnitFiles
        method does it: the method `systemctl mask` calls, without what
        systemctl asks the manager of each unit around it (whether it exists,
        for a notice; which units trigger it, for a warning, both on output
        the module never showed), two questions a unit that cost more than the
        mask itself. Elsewhere (no manager, no busctl, a bus that failed or
        answered for other units), or where the method fails, `systemctl mask`.
        """
        # force replaces a link already at the name (on_link=replace); the plan
        # never asks it where a file is there.
        if self._bus_answers is True:
            try:
                self._call_manager("MaskUnitFiles", "asbb", len(units),
                                   *(list(units) + [_bool(runtime), _bool(force)]))
            except SystemctlError:
                # The bus went away, or the method refused a unit after masking others:
                # systemctl does the same again (a mask made already stays as it is) and
                # reports a refusal in its own words.
                self._bus_answers = False
            else:
                return self._reload_after_bus_call(reload)
        flags = _flags(runtime, reload and self._scope.manager) + (["--force"] if force else [])
        return self._run(["mask"] + flags + ["--"] + list(units))

    def unmask(self, units, runtime=False, reload=True):
        """Unmask ``units``, as mask() masks them: UnmaskUnitFiles or `systemctl unmask`."""
        if self._bus_answers is True:
            try:
                self._call_manager("UnmaskUnitFiles", "asb", len(units), *(list(units) + [_bool(runtime)]))
            except SystemctlError:
                self._bus_answers = False  # as in mask()
            else:
                return self._reload_after_bus_call(reload)
        return self._run(["unmask"] + _flags(runtime, reload and self._scope.manager) + ["--"] + list(units))

    def _reload_after_bus_call(self, reload):
        # What `systemctl mask` does after the method, unless told --no-reload.
        if reload:
            self.daemon_reload()

    def daemon_reload(self):
        return self._run(["daemon-reload"])

    def stop(self, units):
        return self._run(["stop", "--"] + list(units))


def _listed_units(rows):
    """(id, load state, active state) of each ListUnitsByNames row; ValueError
    where a row is not what systemd 247 and later send."""
    listed = []
    for row in rows:
        if not isinstance(row, list) or len(row) < 4 or not all(isinstance(f, str) for f in row[:4]) \
                or row[2] not in LOAD_STATES:
            raise ValueError("unexpected ListUnitsByNames row: %r" % (row,))
        listed.append((row[0], row[2], row[3]))
    return listed


def systemctl_offline(environ=None, same_root=None):
    """Whether systemctl would work on the unit files without the manager, as it
    decides (systemd's running_in_chroot_or_offline): SYSTEMD_OFFLINE where it
    reads as a boolean, else whether / is another directory than PID 1's root. Where
    that cannot be told (no right to look at PID 1's root), not offline, as systemctl.
    """
    environ = os.environ if environ is None else environ
    offline = _boolean_or_none(environ.get("SYSTEMD_OFFLINE"))
    if offline is not None:
        return offline
    return not (same_root or _same_root_as_pid1)()


def _same_root_as_pid1():
    try:
        ours, pid1 = os.stat("/"), os.stat("/proc/1/root")
    except OSError:
        return True
    return (ours.st_dev, ours.st_ino) == (pid1.st_dev, pid1.st_ino)


def _boolean_or_none(value):
    # systemd's parse_boolean.
    if value is None:
        return None
    value = value.strip().lower()
    if value in ("1", "yes", "y", "true", "t", "on"):
        return True
    if value in ("0", "no", "n", "false", "f", "off"):
        return False
    return None


def _bool(value):
    return "true" if value else "false"


def _flags(runtime, reload):
    flags = []
    if runtime:
        flags.append("--runtime")
    if not reload:
        # Several unit-file changes in a row need only one daemon reload, at the last.
        flags.append("--no-reload")
    return flags
