from __future__ import annotations

import os

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.scopes import ScopeError, resolve_scope


def test_root_gives_a_tree_with_no_manager(tmp_path):
    scope = resolve_scope("system", str(tmp_path))
    assert (scope.root, scope.manager, scope.runtime_lasts) == (str(tmp_path), False, False)
    assert scope.flags == ["--root=" + str(tmp_path)]
    assert scope.persistent_dir == "/etc/systemd/system"
    assert scope.tree.host_path(scope.persistent_dir) == os.path.join(str(tmp_path), "etc/systemd/system")


@pytest.mark.parametrize("root", ["", "  "])
def test_an_empty_root_is_refused_not_taken_for_the_host(root):
    with pytest.raises(ScopeError) as info:
        resolve_scope("system", root)
    assert "root is empty" in str(info.value)


def test_root_slash_is_the_host():
    scope = resolve_scope("system", "/")
    assert scope.root is None and scope.flags == []


@pytest.mark.parametrize(("root", "message"), [("relative/path", "not an absolute path"),
                                               ("/does/not/exist", "not a directory")])
def test_bad_roots_are_refused(root, message):
    with pytest.raises(ScopeError) as info:
        resolve_scope("system", root)
    assert message in str(info.value)


def test_root_works_on_system_units_only(tmp_path):
    with pytest.raises(ScopeError) as info:
        resolve_scope("user", str(tmp_path))
    assert "scope=user is not available there" in str(info.value)


def test_global_scope_has_no_manager_and_its_own_directories():
    scope = resolve_scope("global")
    assert (scope.manager, scope.flags) == (False, ["--global"])
    assert (scope.persistent_dir, scope.runtime_dir) == ("/etc/systemd/user", "/run/systemd/user")


def test_user_scope_needs_a_running_user_manager(tmp_path):
    with pytest.raises(ScopeError) as info:
        resolve_scope("user", environ={"XDG_RUNTIME_DIR": str(tmp_path)})
    assert "no running systemd user manager" in str(info.value)
    os.makedirs(str(tmp_path / "systemd"))
    scope = resolve_scope("user", environ={"XDG_RUNTIME_DIR": str(tmp_path), "XDG_CONFIG_HOME": "/cfg"})
    assert scope.persistent_dir == "/cfg/systemd/user"
    assert scope.runtime_dir == os.path.join(str(tmp_path), "systemd/user")
    assert scope.environment == {"XDG_RUNTIME_DIR": str(tmp_path)}
    # Unit files for every user outrank the user's own runtime directory.
    assert "/etc/systemd/user" in scope.outranking(scope.runtime_dir)


def test_unknown_scope_is_refused():
    with pytest.raises(ScopeError):
        resolve_scope("session")
