"""Make the checkout importable as ansible_collections.sysguard.systemd.

`make venv` links the checkout into .cache/collections; ansible-test's own unit
runner puts the collection on the path by itself.
"""

from __future__ import annotations

import collections
import json
import os
import sys

import pytest

_COLLECTIONS = os.path.join(os.path.dirname(__file__), "..", "..", ".cache", "collections")
if os.path.isdir(_COLLECTIONS) and os.path.abspath(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, os.path.abspath(_COLLECTIONS))


class FakeSystemd:
    """A small stand-in for systemctl over real directories in a temporary tree.

    It keeps mask links on disk like systemctl does, answers `show`,
    `list-unit-files` and busctl's ListUnitsByNames from them, and records every
    argument list it is given. ``bus`` False makes busctl fail as it does where
    no bus runs; ``busctl`` False leaves it out, as a distribution might. An
    instance with no file or mask of its own answers as its template does, as
    systemd loads it from the template's file.
    """

    def __init__(self, root):
        # An OS tree laid out like a host; the module is told it is the host's
        # system scope with a running manager (see scope()).
        self.root = str(root)
        self.dirs = Dirs(
            persistent=os.path.join(self.root, "etc/systemd/system"),
            runtime=os.path.join(self.root, "run/systemd/system"),
            transient=os.path.join(self.root, "run/systemd/transient"),
            vendor=os.path.join(self.root, "usr/lib/systemd/system"),
        )
        for directory in self.dirs:
            os.makedirs(directory)
        self.installed = {}
        self.active = {}
        self.aliases = {}
        self.vendor_masks = []
        self.triggers = {}
        self.calls = []
        self.fail = {}
        self.bus = True
        self.stale_masked = set()
        self.environments = []  # the environment of each call, in order  # units the manager still has loaded as masked
        self.busctl = True
        self.reverse = {}  # unit -> {RequiredBy, BoundBy, RequisiteOf: [units]}, as systemd keeps them
        self.loaded = set()  # units the manager has loaded; reading a unit loads it
        self.refuse = set()  # units mask and unmask refuse, going on with the others as systemd does

    # Setting up the scene.
    def install(self, unit, active="inactive", file_state="enabled"):
        self.installed[unit] = file_state
        self.active[unit] = active
        if active != "inactive" or file_state == "enabled":
            self.loaded.add(unit)  # started, or pulled in at boot

    def alias(self, alias, unit):
        self.aliases[alias] = unit
        os.symlink("/usr/lib/systemd/system/" + unit, os.path.join(self.dirs.persistent, alias))

    def place_vendor_mask(self, unit):
        self.vendor_masks.append(unit)
        os.symlink("/dev/null", os.path.join(self.dirs.vendor, unit))

    def place_unit_file(self, unit, layer="vendor", content="[Service]\nExecStart=/bin/true\n"):
        with open(os.path.join(getattr(self.dirs, layer), unit), "w") as handle:
            handle.write(content)

    def place_mask(self, unit, layer):
        os.symlink("/dev/null", os.path.join(getattr(self.dirs, layer), unit))

    def has_mask(self, unit, layer):
        path = os.path.join(getattr(self.dirs, layer), unit)
        return os.path.islink(path) and os.readlink(path) == "/dev/null"

    def scope(self, manager=True, name="system", flags=(), runtime_lasts=None):
        """A scopes.Scope over this fake's tree."""
        from ansible_collections.sysguard.systemd.plugins.module_utils.scopes import Scope
        from ansible_collections.sysguard.systemd.plugins.module_utils.unit_lookup import SYSTEM_SEARCH_PATH, Tree

        runtime_lasts = manager if runtime_lasts is None else runtime_lasts
        return Scope(name, SYSTEM_SEARCH_PATH, Tree(self.root), list(flags), {}, manager, runtime_lasts)

    # What the module sees.
    def get_bin_path(self, name, required=False):
        if name == "busctl" and not self.busctl:
            return None
        return "/usr/bin/" + name

    def run_command(self, argv, environ_update=None):
        assert environ_update["LC_ALL"] == "C"
        self.calls.append(argv[1:])
        self.environments.append(environ_update)
        if argv[0].endswith("/busctl"):
            return self._busctl(argv[1:])
        argv = [a for a in argv if a not in ("--user", "--global") and not a.startswith("--root=")]
        command = argv[1]
        if command in self.fail:
            return self.fail[command]
        split = argv.index("--") if "--" in argv else len(argv)
        return getattr(self, "_" + command.replace("-", "_"))(argv[2:split], argv[split + 1:])

    def _layer(self, unit):
        for layer in ("persistent", "runtime"):
            if self.has_mask(unit, layer):
                return layer
        return None

    def _busctl(self, argv):
        assert argv[0] in ("--system", "--user") and argv[1:4] == ["--json=short", "--", "call"], argv
        if argv[7] == "ListUnitsByPatterns":
            assert argv[8:11] == ["asas", "0", str(len(argv[11:]))], argv
            if not self.bus:
                return 1, "", "Failed to connect to bus: No such file or directory"
            rows = [[unit, "", self._state(unit)["LoadState"], self.active.get(unit, "inactive"), "dead", "", "/x", 0,
                     "", "/"] for unit in argv[11:] if unit in self.loaded]
            return 0, json.dumps({"type": "a(ssssssouso)", "data": [rows]}), ""
        if argv[7] in ("MaskUnitFiles", "UnmaskUnitFiles"):
            return self._unit_files_method(argv[7], argv[8:])
        assert argv[4:10] == ["org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                              "org.freedesktop.systemd1.Manager", "ListUnitsByNames", "as", str(len(argv[10:]))]
        if not self.bus:
            return 1, "", "Failed to connect to bus: No such file or directory"
        units = argv[10:]
        self.loaded.update(units)
        if any("@." in unit for unit in units):
            return 1, "", "Call failed: Unit name %s is missing the instance name." % units[0]
        rows = []
        for unit in units:
            state = self._state(unit)
            rows.append([state["Id"], "", state["LoadState"], state["ActiveState"], "dead", "", "/x", 0, "", "/"])
        return 0, json.dumps({"type": "a(ssssssouso)", "data": [rows]}), ""

    def _unit_files_method(self, method, argv):
        """MaskUnitFiles (as runtime force) and UnmaskUnitFiles (as runtime): what
        `systemctl mask` and `unmask` do to the files, failing as they do
        (``fail["mask"]``, ``fail["unmask"]``), with busctl's words."""
        flags = ("runtime", "force") if method == "MaskUnitFiles" else ("runtime",)
        assert argv[0] == "as" + "b" * len(flags) and int(argv[1]) == len(argv) - 2 - len(flags), argv
        units, values = argv[2:2 + int(argv[1])], argv[2 + int(argv[1]):]
        assert all(value in ("true", "false") for value in values), argv
        if not self.bus:
            return 1, "", "Failed to connect to bus: No such file or directory"
        command = "mask" if method == "MaskUnitFiles" else "unmask"
        options = ["--" + flag for flag, value in zip(flags, values) if value == "true"]
        rc, _out, err = self.fail.get(command) or getattr(self, "_" + command)(options, units)
        if rc:
            return 1, "", "Call failed: " + err.split(": ", 1)[-1]
        return 0, json.dumps({"type": "a(sss)", "data": [[]]}), ""

    def _state(self, unit):
        """What the manager says of ``unit``: show's properties."""
        layer = self._layer(unit)
        unit = unit if layer else self.aliases.get(unit, unit)
        layer = self._layer(unit)
        if layer:
            load, file_state = "masked", "masked" if layer == "persistent" else "masked-runtime"
            fragment = os.path.join(getattr(self.dirs, layer), unit)[len(self.root):]
        elif unit in self.vendor_masks or unit in self.stale_masked:
            load, file_state, fragment = "masked", "masked", "/dev/null"
        elif unit in self.installed:
            load, file_state, fragment = "loaded", self.installed[unit], "/usr/lib/systemd/system/" + unit
        elif self._template_of(unit) and (self._layer(self._template_of(unit))
                                          or self._template_of(unit) in self.vendor_masks):
            # An instance with nothing of its own is loaded from its template: masked with it.
            template = self._template_of(unit)
            load, file_state = "masked", "masked"
            layer = self._layer(template)
            fragment = os.path.join(getattr(self.dirs, layer), template)[len(self.root):] if layer else "/dev/null"
        elif self._template_of(unit) in self.installed:
            load, file_state = "loaded", self.installed[self._template_of(unit)]
            fragment = "/usr/lib/systemd/system/" + self._template_of(unit)
        else:
            load, file_state, fragment = "not-found", "", ""
        return {"Id": unit, "TriggeredBy": " ".join(self.triggers.get(unit, []) if not layer else []),
                "LoadState": load, "ActiveState": self.active.get(unit, "inactive"), "FragmentPath": fragment,
                "UnitFileState": file_state,
                "RequiredBy": " ".join(self.reverse.get(unit, {}).get("RequiredBy", [])),
                "BoundBy": " ".join(self.reverse.get(unit, {}).get("BoundBy", [])),
                "RequisiteOf": " ".join(self.reverse.get(unit, {}).get("RequisiteOf", []))}

    @staticmethod
    def _template_of(unit):
        """getty@.service for the instance getty@tty1.service, else None."""
        if "@" not in unit or unit.split("@", 1)[1].startswith("."):
            return None
        prefix, rest = unit.split("@", 1)
        return "%s@.%s" % (prefix, rest.rsplit(".", 1)[1])

    def _show(self, options, units):
        blocks = []
        properties = [o.split("=", 1)[1].split(",") for o in options if o.startswith("--property=")][0]
        for unit in units:
            if "@." in unit:
                return 1, "", "Failed to get properties: Unit name %s is neither a valid invocation ID nor unit name." % unit
            state = self._state(unit)
            blocks.append("".join("%s=%s\n" % (p, state[p]) for p in properties))
        return 0, "\n".join(blocks), ""

    def _list_units(self, options, units):
        lines = ["%s %s loaded %s" % ("●" if self.active.get(u) == "failed" else "", u, self.active.get(u, "inactive"))
                 for u in units if u in self.loaded]
        return (0 if lines else 1), "\n".join(lines), ""

    def _list_unit_files(self, options, units):
        if not units:  # --state=masked,masked-runtime: every masked unit file
            units = sorted(set(self.vendor_masks) | set(
                name for directory in (self.dirs.persistent, self.dirs.runtime) for name in os.listdir(directory)))
        lines = ["%s %s enabled" % (u, self._file_state(u))
                 for u in units if u in self.installed or self._layer(u) or u in self.vendor_masks]
        if any(o.startswith("--state=") for o in options):
            lines = [line for line in lines if line.split()[1].startswith("masked")]
        return (0 if lines else 1), "\n".join(lines), ""

    def _file_state(self, unit):
        layer = self._layer(unit)
        if layer:
            return "masked" if layer == "persistent" else "masked-runtime"
        if unit in self.vendor_masks:
            return "masked"
        return self.installed[unit]

    def _mask(self, options, units):
        directory = self.dirs.runtime if "--runtime" in options else self.dirs.persistent
        refused = [unit for unit in units if unit in self.refuse]
        for unit in units:
            path = os.path.join(directory, unit)
            if unit in refused:
                continue
            if "--force" in options and os.path.islink(path) and not self.has_mask(unit, "runtime" if "--runtime" in options else "persistent"):
                os.unlink(path)
            if os.path.lexists(path) and not self.has_mask(unit, "runtime" if "--runtime" in options else "persistent"):
                return 1, "", "Failed to mask unit: File %s already exists." % path
            if not os.path.lexists(path):
                os.symlink("/dev/null", path)
        if refused:
            return 1, "", "Failed to mask unit: File %s already exists." % os.path.join(directory, refused[0])
        return 0, "", ""

    def _daemon_reload(self, options, units):
        return 0, "", ""

    def _unmask(self, options, units):
        layer = "runtime" if "--runtime" in options else "persistent"
        for unit in units:
            if self.has_mask(unit, layer):
                os.unlink(os.path.join(getattr(self.dirs, layer), unit))
        return 0, "", ""

    def _stop(self, options, units):
        for unit in units:
            self.active[unit] = "inactive"
        return 0, "", ""


Dirs = collections.namedtuple("Dirs", ["persistent", "runtime", "transient", "vendor"])


@pytest.fixture
def fake_systemd(tmp_path):
    return FakeSystemd(tmp_path)


@pytest.fixture
def make_fake(tmp_path):
    """Make fakes, each over a tree of its own: to run one scene several ways."""
    made = []

    def make():
        root = tmp_path / ("fake%d" % len(made))
        root.mkdir()
        made.append(FakeSystemd(root))
        return made[-1]

    return make
