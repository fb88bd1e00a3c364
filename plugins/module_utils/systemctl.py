# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""The systemctl commands the collection runs, as argument lists.

Every command takes many units at once and puts "--" before them, so a unit name
can never be read as an option. No shell is involved.
"""

from __future__ import annotations

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import SHOW_PROPERTIES

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
        self.commands = []
        """Every argument list run, in order: reported back to the user."""

    def _run(self, args, allowed_rc=(0,)):
        argv = [self.path] + self._scope.flags + args
        self.commands.append(argv)
        rc, stdout, stderr = self._module.run_command(argv, environ_update=self._environment)
        if rc not in allowed_rc:
            raise SystemctlError(argv, rc, stdout, stderr)
        return stdout

    def show(self, units):
        """`systemctl show` of SHOW_PROPERTIES for all ``units``; templates not allowed."""
        return self._run(["show", "--property=" + ",".join(SHOW_PROPERTIES), "--"] + list(units))

    def list_unit_files(self, units):
        """`systemctl list-unit-files` for ``units`` (templates work here)."""
        # Exit code 1 means none of them has a unit file.
        return self._run(["list-unit-files", "--no-legend", "--full", "--"] + list(units),
                         allowed_rc=(0, 1))

    def mask(self, units, runtime=False, reload=True, force=False):
        # --force replaces a link already at the name (on_link=replace); the plan
        # never asks it where a file is there.
        flags = _flags(runtime, reload and self._scope.manager) + (["--force"] if force else [])
        return self._run(["mask"] + flags + ["--"] + list(units))

    def unmask(self, units, runtime=False, reload=True):
        return self._run(["unmask"] + _flags(runtime, reload and self._scope.manager) + ["--"] + list(units))

    def daemon_reload(self):
        return self._run(["daemon-reload"])

    def stop(self, units):
        return self._run(["stop", "--"] + list(units))


def _flags(runtime, reload):
    flags = []
    if runtime:
        flags.append("--runtime")
    if not reload:
        # Several unit-file changes in a row need only one daemon reload, at the last.
        flags.append("--no-reload")
    return flags
