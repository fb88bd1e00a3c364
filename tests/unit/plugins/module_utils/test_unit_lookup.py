"""The lookup's rules on small trees. Its agreement with systemd itself is
proven by tests/differential, on every systemd version make test runs."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import (
    SYSTEM_SEARCH_PATH,
    Tree,
    UnitTree,
    UnitTreeError,
)

UNIT = "[Service]\nExecStart=/bin/true\n"


@pytest.fixture
def tree(tmp_path):
    for directory in ("etc/systemd/system", "run/systemd/system", "usr/lib/systemd/system", "opt/app"):
        os.makedirs(str(tmp_path / directory))
    os.symlink("usr/lib", str(tmp_path / "lib"))
    return tmp_path


def put(root, path, content=UNIT):
    with open(str(root / path), "w") as handle:
        handle.write(content)


def link(root, path, target):
    os.symlink(target, str(root / path))


def read(root):
    return UnitTree.read(SYSTEM_SEARCH_PATH, Tree(str(root)))


def test_each_kind_of_mask_is_a_mask(tree):
    put(tree, "etc/systemd/system/empty.service", "")
    link(tree, "etc/systemd/system/absolute.service", "/dev/null")
    link(tree, "etc/systemd/system/relative.service", "../../../dev/null")
    put(tree, "opt/app/blank.service", "")
    link(tree, "etc/systemd/system/to-empty.service", "/opt/app/blank.service")
    units = read(tree)
    for name in ("empty", "absolute", "relative", "to-empty"):
        found = units.lookup(name + ".service")
        assert (found.masked, found.load_state) == (True, "masked"), name
    assert units.lookup("empty.service").own.link is None
    assert units.lookup("relative.service").own.target == "/dev/null"


def test_linked_unit_file_is_the_unit_itself(tree):
    put(tree, "opt/app/foo-1.2.service")
    link(tree, "etc/systemd/system/foo.service", "../../../opt/app/foo-1.2.service")
    found = read(tree).lookup("foo.service")
    assert (found.load_state, found.unit, found.own.kind) == ("loaded", "foo.service", "linked")
    assert found.own.target == "/opt/app/foo-1.2.service"


def test_alias_resolves_to_its_unit_and_its_mask(tree):
    put(tree, "usr/lib/systemd/system/ssh.service")
    link(tree, "etc/systemd/system/sshd.service", "/lib/systemd/system/ssh.service")
    assert read(tree).lookup("sshd.service").unit == "ssh.service"
    link(tree, "etc/systemd/system/ssh.service", "/dev/null")
    found = read(tree).lookup("sshd.service")
    assert (found.masked, found.alias_of) == (True, "ssh.service")


def test_instance_uses_its_template_and_its_mask(tree):
    put(tree, "usr/lib/systemd/system/getty@.service")
    units = read(tree)
    assert (units.lookup("getty@tty3.service").load_state, units.lookup("getty@tty3.service").unit) == (
        "loaded", "getty@tty3.service")
    link(tree, "etc/systemd/system/getty@.service", "/dev/null")
    assert read(tree).lookup("getty@tty3.service").masked


def test_higher_directory_wins_and_an_invalid_alias_is_ignored(tree):
    put(tree, "usr/lib/systemd/system/a.service")
    link(tree, "run/systemd/system/a.service", "/dev/null")
    put(tree, "etc/systemd/system/a.service")
    assert read(tree).lookup("a.service").load_state == "loaded"
    # A link to a name of another type is no alias: systemd looks further down.
    link(tree, "etc/systemd/system/b.service", "/usr/lib/systemd/system/a.socket")
    put(tree, "usr/lib/systemd/system/b.service")
    found = read(tree).lookup("b.service")
    assert found.fragment.path == "/lib/systemd/system/b.service"


def test_absolute_links_in_a_tree_mean_the_trees_paths(tree):
    put(tree, "usr/lib/systemd/system/cron.service")
    link(tree, "etc/systemd/system/crond.service", "/usr/lib/systemd/system/cron.service")
    assert read(tree).lookup("crond.service").unit == "cron.service"


def test_a_unit_directory_leading_out_of_the_tree_is_refused(tmp_path):
    root = tmp_path / "tree"
    os.makedirs(str(root / "etc"))
    os.makedirs(str(tmp_path / "outside/systemd/system"))
    link(tmp_path, "outside/systemd/system/cron.service", "/dev/null")
    link(root, "etc/systemd", "../../outside/systemd")
    with pytest.raises(UnitTreeError) as info:
        read(root)
    assert "leads out of root %s" % root in str(info.value)


def test_a_link_leading_out_of_the_tree_is_refused(tree):
    link(tree, "etc/systemd/system/x.service", "../../../../../../../../etc/passwd")
    with pytest.raises(UnitTreeError) as info:
        read(tree)
    assert "leads out of root" in str(info.value)


def test_on_the_host_dot_dot_stops_at_the_root():
    assert Tree("/").resolve("/../../etc/../etc") == "/etc"


def test_a_file_where_a_unit_directory_belongs_is_refused(tree):
    os.rmdir(str(tree / "run/systemd/system"))
    put(tree, "run/systemd/system", "")
    with pytest.raises(UnitTreeError) as info:
        read(tree)
    assert "run/systemd/system: is not a directory" in str(info.value)


def test_a_link_that_vanishes_while_read_is_a_clear_error(tree, monkeypatch):
    link(tree, "etc/systemd/system/gone.service", "/dev/null")

    def vanished(path):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(os, "readlink", vanished)
    with pytest.raises(UnitTreeError) as info:
        read(tree)
    assert "gone.service: changed while it was read" in str(info.value)


def test_predictions_do_not_touch_the_disk(tree):
    link(tree, "etc/systemd/system/a.service", "/dev/null")
    units = read(tree)
    assert not units.without_entry("/etc/systemd/system", "a.service").lookup("a.service").masked
    assert units.lookup("a.service").masked
    assert os.path.islink(str(tree / "etc/systemd/system/a.service"))


def test_directory_reached_by_two_paths_is_read_once_with_the_same_answer(tree):
    put(tree, "usr/lib/systemd/system/ssh.service")
    link(tree, "usr/lib/systemd/system/sshd.service", "ssh.service")
    link(tree, "usr/lib/systemd/system/up.service", "../../../../opt/app/up.service")
    put(tree, "opt/app/up.service")
    both = read(tree)
    lib, usr = SYSTEM_SEARCH_PATH[-3], SYSTEM_SEARCH_PATH[-2]
    assert (lib.path, usr.path) == ("/lib/systemd/system", "/usr/lib/systemd/system")
    for directory in (lib, usr):
        alone = UnitTree.read((directory,), Tree(str(tree))).entries[directory.path]
        # Read alone, each path gives what the shared read gives under it.
        assert both.entries[directory.path] == alone
        assert {e.directory for e in alone.values()} == {directory.path}
    assert both.entries[lib.path]["up.service"].kind == "linked"


def test_reread_reads_only_the_layers_named(tree):
    put(tree, "usr/lib/systemd/system/cron.service")
    units = read(tree)
    link(tree, "etc/systemd/system/cron.service", "/dev/null")
    put(tree, "usr/lib/systemd/system/new.service")
    again = units.reread(Tree(str(tree)), {"persistent"})
    assert again.lookup("cron.service").masked
    # The vendor layer is kept as it was read: a change there is not seen.
    assert again.lookup("new.service").load_state == "not-found"
    assert read(tree).lookup("new.service").load_state == "loaded"
