# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Which service manager a request is about, and where its units live.

- ``system``: the system manager; masks in /etc/systemd/system and /run/systemd/system.
- ``user``: the calling user's manager (``systemctl --user``); masks in
  ~/.config/systemd/user and $XDG_RUNTIME_DIR/systemd/user.
- ``global``: unit files for every user (``systemctl --global``); masks in
  /etc/systemd/user and /run/systemd/user. No manager runs there.

With ``root``, the system scope of an OS tree that is not running
(``systemctl --root=PATH``): every path lies inside it, and no manager is asked.
"""

from __future__ import annotations

import os
import pwd
from collections import namedtuple

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import (
    GLOBAL_SEARCH_PATH,
    SYSTEM_SEARCH_PATH,
    Tree,
    user_search_path,
)

SCOPES = ("system", "user", "global")


class Scope(namedtuple("Scope", ["name", "search_path", "tree", "flags", "environment", "manager", "runtime_lasts"])):
    """A resolved scope.

    ``search_path`` is the scope's unit search path (SearchDir tuples, paths in
    ``tree``). ``flags`` go before every systemctl command; ``environment`` is
    added to its environment; ``manager`` is True when a running service manager
    can be asked (about its units, to stop them), False when only the unit files can
    be read. ``runtime_lasts`` is False where a runtime mask would not act: a
    tree that is not running, or a host whose /run no systemd reads.
    """

    __slots__ = ()

    @property
    def bus_environment(self):
        """The bus address busctl must use to reach this scope's manager."""
        if self.name == "user":
            runtime_dir = self.environment.get("XDG_RUNTIME_DIR")
            return {"DBUS_SESSION_BUS_ADDRESS": "unix:path=%s/bus" % runtime_dir} if runtime_dir else {}
        return {"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/run/dbus/system_bus_socket"}

    @property
    def root(self):
        """The OS tree worked on, or None for the host itself."""
        return None if self.tree.root == "/" else self.tree.root

    @property
    def persistent_dir(self):
        return _first_dir(self.search_path, "persistent")

    @property
    def runtime_dir(self):
        return _first_dir(self.search_path, "runtime")

    def outranking(self, directory):
        """The search directories that come before ``directory``."""
        paths = [d.path for d in self.search_path]
        return tuple(paths[:paths.index(directory)])


def _first_dir(search_path, layer):
    return next(d.path for d in search_path if d.layer == layer)


class ScopeError(ValueError):
    """The scope cannot be used as asked."""


def resolve_scope(name="system", root=None, environ=None, uid=None):
    """Return the Scope for ``name`` and ``root``, or raise ScopeError.

    ``root`` None is the host; "/" is the host as well. An empty ``root`` is
    refused: it is what an unset templated variable gives, and taking it for
    the host would act on the wrong system.
    """
    environ = os.environ if environ is None else environ
    uid = os.getuid() if uid is None else uid
    if root is not None:
        root = _check_root(root, name)
    if root is not None:
        return Scope("system", SYSTEM_SEARCH_PATH, Tree(root), ["--root=" + root], {}, False, False)
    if name == "system":
        running = _system_manager_running()
        return Scope("system", SYSTEM_SEARCH_PATH, Tree(), [], {}, running, running)
    if name == "global":
        return Scope("global", GLOBAL_SEARCH_PATH, Tree(), ["--global"], {}, False, _system_manager_running())
    if name == "user":
        return _user_scope(environ, uid)
    raise ScopeError("unknown scope %r (known: %s)" % (name, ", ".join(SCOPES)))


def _check_root(root, name):
    """The OS tree's path, or None where ``root`` names the host itself."""
    if root.strip() == "":
        raise ScopeError("root is empty; give the path of an OS tree, or leave root out "
                         "to work on the host itself")
    if not os.path.isabs(root):
        raise ScopeError("root=%s is not an absolute path" % root)
    if not os.path.isdir(root):
        raise ScopeError("root=%s is not a directory" % root)
    real = os.path.realpath(root)
    if real == "/":
        return None
    if name != "system":
        raise ScopeError("root=%s works on an OS tree's system units; scope=%s is not "
                         "available there (no manager of that tree runs)" % (root, name))
    return real


def _user_scope(environ, uid):
    user = pwd.getpwuid(uid)
    runtime_dir = environ.get("XDG_RUNTIME_DIR") or "/run/user/%d" % uid
    if not os.path.isdir(os.path.join(runtime_dir, "systemd")):
        raise ScopeError(
            "user %s (uid %d) has no running systemd user manager (no %s/systemd); "
            "start one with lingering, 'loginctl enable-linger %s', or log the user in"
            % (user.pw_name, uid, runtime_dir, user.pw_name))
    config_home = environ.get("XDG_CONFIG_HOME") or os.path.join(user.pw_dir, ".config")
    data_home = environ.get("XDG_DATA_HOME") or os.path.join(user.pw_dir, ".local", "share")
    # Under become, XDG_RUNTIME_DIR is often unset; systemctl --user needs it to
    # find the manager.
    return Scope("user", user_search_path(config_home, runtime_dir, data_home), Tree(), ["--user"],
                 {"XDG_RUNTIME_DIR": runtime_dir}, True, True)


def _system_manager_running():
    """True when systemd is the running system manager (sd_booted's test)."""
    return os.path.isdir("/run/systemd/system")
