# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""Real systemd for the differential tests: one container per Debian release.

Each container runs systemd as PID 1 and one oracle process (oracle.py) that
answers for it. They start together, once per session, and are removed at its
end, whatever happened.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
_CHECKOUT = os.path.dirname(os.path.dirname(_HERE))

# As tests/unit/conftest.py: the checkout as ansible_collections.sysguard.systemd.
_COLLECTIONS = os.path.join(_CHECKOUT, ".cache", "collections")
if os.path.isdir(_COLLECTIONS) and _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

RELEASES = ("11", "12", "13", "14")
IMAGE = "localhost/sysguard/debian-systemd:%s"
ORACLE_IN_CONTAINER = "/root/sgdiff-oracle.py"
BOOT_TIMEOUT = 90


def _podman_environment(scratch):
    """The environment podman runs with: this machine's quirks, as `make` sets them.

    Run outside `make`, the quirks file is written into ``scratch``, so that
    sessions running side by side do not write the same file.
    """
    env = dict(os.environ, LC_ALL="C")
    if "CONTAINERS_CONF" not in env:
        conf = subprocess.run(
            [os.path.join(_CHECKOUT, "tools", "podman-quirks.sh"), os.path.join(scratch, "containers.conf")],
            stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
        if conf:
            env["CONTAINERS_CONF"] = conf
    return env


class Systemd:
    """One release's container and the oracle answering in it."""

    def __init__(self, release, env):
        self.release = release
        self.name = "sgdiff-%s-%d" % (release, os.getpid())
        self.env = env
        self.oracle = None
        self.info = None

    def podman(self, *args, check=True):
        # The error goes into the exception with podman's own message, not check=True's.
        proc = subprocess.run(["podman"] + list(args), env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, check=False)
        if check and proc.returncode != 0:
            raise RuntimeError("podman %s failed (%d): %s" % (" ".join(args), proc.returncode, proc.stderr.strip()))
        return proc

    def start(self):
        self.podman("rm", "-f", "--ignore", self.name)
        self.podman("run", "-d", "--name", self.name, "--systemd=always",
                    IMAGE % self.release, "/sbin/init")

    def wait_and_attach(self):
        deadline = time.monotonic() + BOOT_TIMEOUT
        state = ""
        while time.monotonic() < deadline:
            state = self.podman("exec", self.name, "systemctl", "is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("%s: systemd did not finish booting (is-system-running: %r)" % (self.name, state))
        self.podman("cp", os.path.join(_HERE, "oracle.py"), "%s:%s" % (self.name, ORACLE_IN_CONTAINER))
        self.oracle = subprocess.Popen(
            ["podman", "exec", "-i", self.name, "python3", ORACLE_IN_CONTAINER],
            env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.info = self.ask({"op": "hello"})

    def ask(self, request):
        """One request to the oracle; its answer, or an error naming what failed."""
        self.oracle.stdin.write(json.dumps(request) + "\n")
        self.oracle.stdin.flush()
        line = self.oracle.stdout.readline()
        if not line:
            raise RuntimeError("%s: the oracle stopped (exit %s)" % (self.name, self.oracle.poll()))
        answer = json.loads(line)
        if not answer.pop("ok"):
            raise RuntimeError("%s: the oracle failed: %s" % (self.name, answer["error"]))
        return answer

    def stop(self):
        if self.oracle is not None:
            self.oracle.stdin.close()
            try:
                self.oracle.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.oracle.kill()
        self.podman("rm", "-f", "--time", "0", self.name, check=False)

    def __repr__(self):
        # What hypothesis prints for the parameter in a falsifying example.
        version = self.info["version"] if self.info else "?"
        return "Systemd(debian=%s, systemd=%s)" % (self.release, version)


@pytest.fixture(scope="session")
def systemds(tmp_path_factory):
    """Every release's Systemd, by release; booted side by side."""
    env = _podman_environment(str(tmp_path_factory.mktemp("podman")))
    started = {release: Systemd(release, env) for release in RELEASES}
    try:
        for systemd in started.values():
            systemd.start()
        for systemd in started.values():
            systemd.wait_and_attach()
        yield started
    finally:
        for systemd in started.values():
            systemd.stop()


@pytest.fixture(scope="session", params=RELEASES, ids=lambda release: "debian" + release)
def systemd(request, systemds):
    return systemds[request.param]
