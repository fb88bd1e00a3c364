# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Which service manager a request is about, and where its masks live.

- ``system``: the system manager; masks in /etc/systemd/system and /run/systemd/system.
- ``user``: the calling user's manager (``systemctl --user``); masks in
  ~/.config/systemd/user and $XDG_RUNTIME_DIR/systemd/user.
- ``global``: unit files for every user (``systemctl --global``); masks in
  /etc/systemd/user and /run/systemd/user. No manager runs there.

With ``root``, the system scope of an OS tree that is not running
(``systemctl --root=PATH``): every path lies under it, and no manager is asked.
"""

from __future__ import annotations

import os
import pwd
from collections import namedtuple

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_state import SYSTEM_DIRS, UnitDirs

SCOPES = ("system", "user", "global")


class Scope(namedtuple("Scope", ["name", "dirs", "flags", "environment", "manager", "root"])):
    """A resolved scope.

    ``flags`` go before every systemctl command; ``environment`` is added to its
    environment; ``manager`` is True when a running service manager can be asked
    (`systemctl show`, `stop`), False when only the unit files can be read.
    """

    __slots__ = ()


class ScopeError(ValueError):
    """The scope cannot be used as asked."""


def resolve_scope(name="system", root=None, environ=None, uid=None):
    """Return the Scope for ``name`` and ``root``, or raise ScopeError."""
    environ = os.environ if environ is None else environ
    uid = os.getuid() if uid is None else uid
    if root:
        if name != "system":
            raise ScopeError("root=%s works on an OS tree's system units; scope=%s is not "
                             "available there (no manager of that tree runs)" % (root, name))
        if not os.path.isdir(root):
            raise ScopeError("root=%s is not a directory" % root)
        return Scope("system", _under(root, SYSTEM_DIRS), ["--root=" + root], {}, False, root)
    if name == "system":
        return Scope("system", SYSTEM_DIRS, [], {}, _system_manager_running(), None)
    if name == "global":
        return Scope("global", GLOBAL_DIRS, ["--global"], {}, False, None)
    if name == "user":
        return _user_scope(environ, uid)
    raise ScopeError("unknown scope %r (known: %s)" % (name, ", ".join(SCOPES)))


GLOBAL_DIRS = UnitDirs(
    persistent="/etc/systemd/user",
    runtime="/run/systemd/user",
    outranking=(),
    vendor=("/usr/local/lib/systemd/user", "/usr/lib/systemd/user"),
)


def _user_scope(environ, uid):
    user = pwd.getpwuid(uid)
    runtime_dir = environ.get("XDG_RUNTIME_DIR") or "/run/user/%d" % uid
    if not os.path.isdir(os.path.join(runtime_dir, "systemd")):
        raise ScopeError(
            "user %s (uid %d) has no running systemd user manager (no %s/systemd); "
            "start one with lingering, 'loginctl enable-linger %s', or log the user in"
            % (user.pw_name, uid, runtime_dir, user.pw_name))
    config_home = environ.get("XDG_CONFIG_HOME") or os.path.join(user.pw_dir, ".config")
    dirs = UnitDirs(
        persistent=os.path.join(config_home, "systemd", "user"),
        runtime=os.path.join(runtime_dir, "systemd", "user"),
        outranking=(
            os.path.join(config_home, "systemd", "user.control"),
            os.path.join(runtime_dir, "systemd", "user.control"),
            os.path.join(runtime_dir, "systemd", "transient"),
            os.path.join(runtime_dir, "systemd", "generator.early"),
        ),
        vendor=(
            "/etc/systemd/user",
            os.path.join(user.pw_dir, ".local", "share", "systemd", "user"),
            "/usr/local/lib/systemd/user",
            "/usr/lib/systemd/user",
        ),
    )
    # Under become, XDG_RUNTIME_DIR is often unset; systemctl --user needs it to
    # find the manager.
    return Scope("user", dirs, ["--user"], {"XDG_RUNTIME_DIR": runtime_dir}, True, None)


def _system_manager_running():
    """True when systemd is the running system manager (sd_booted's test)."""
    return os.path.isdir("/run/systemd/system")


def _under(root, dirs):
    def inside(path):
        return os.path.join(root, path.lstrip("/"))
    return UnitDirs(inside(dirs.persistent), inside(dirs.runtime),
                    tuple(inside(d) for d in dirs.outranking), tuple(inside(d) for d in dirs.vendor))
