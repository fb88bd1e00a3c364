"""`make bench`: sysguard.systemd.mask against ansible.builtin.systemd_service.

Runs on local systemd containers built by `make images` and writes a table to the
terminal, results.json and chart.png to docs/performance/.

- units: N units masked, masked again (nothing to change) and unmasked, by
  (a) sysguard.systemd.mask with the N names in one task,
  (b) ansible.builtin.systemd_service with masked: true in a loop over the N,
  (c) the floor: one ansible.builtin.command running systemctl with the N names.
  Each task is timed by Ansible itself (the ansible.posix.json callback).
- fleet: the role sysguard.systemd.masking with a 50-unit baseline on 1, 4 and 16
  hosts, over the podman connection and over SSH (sshd on loopback ports,
  pipelining and ControlPersist on), timed as the whole play.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGE = "localhost/sysguard/debian-systemd:12"
PREFIX = "sysguard-bench"
UNIT_TEMPLATE = "sysguard-bench-%03d.service"
SSH_BASE_PORT = 22400

APPROACHES = {
    "module": {
        "label": "sysguard.systemd.mask, one task",
        "mask": {"sysguard.systemd.mask": {"name": "{{ units }}"}},
        "unmask": {"sysguard.systemd.mask": {"name": "{{ units }}", "state": "unmasked"}},
    },
    "builtin": {
        "label": "ansible.builtin.systemd_service, loop",
        "mask": {"ansible.builtin.systemd_service": {"name": "{{ item }}", "masked": True}, "loop": "{{ units }}"},
        "unmask": {"ansible.builtin.systemd_service": {"name": "{{ item }}", "masked": False}, "loop": "{{ units }}"},
    },
    "floor": {
        "label": "ansible.builtin.command: systemctl, one task",
        "mask": {"ansible.builtin.command": {"argv": "{{ ['systemctl', 'mask', '--'] + units }}"}},
        "unmask": {"ansible.builtin.command": {"argv": "{{ ['systemctl', 'unmask', '--'] + units }}"}},
    },
}
STEPS = ("mask", "again", "unmask")


def main():
    args = parse_args()
    workdir = tempfile.mkdtemp(prefix="sysguard-bench-")
    hosts = ["%s-%02d" % (PREFIX, i) for i in range(1, max(args.hosts) + 1)]
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "machine": machine(),
        "versions": versions(),
        "repeats": args.repeats,
        "units": {},
        "fleet": {},
    }
    try:
        start_hosts(hosts, workdir, max(args.sizes))
        if not args.skip_units:
            results["units"] = bench_units(args, hosts[0], workdir)
        if not args.skip_fleet:
            results["fleet"] = bench_fleet(args, hosts, workdir)
    finally:
        subprocess.run(["podman", "rm", "-f"] + hosts, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        shutil.rmtree(workdir, ignore_errors=True)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=2, sort_keys=True)
        handle.write("\n")
    print_tables(results)
    draw_chart(results, os.path.join(args.out, "chart.png"))
    print("\nwrote %s/results.json and %s/chart.png" % (args.out, args.out))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="1,10,50,200", help="unit counts N")
    parser.add_argument("--hosts", default="1,4,16", help="fleet sizes")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--builtin-max-repeats-over-50", type=int, default=1,
                        help="runs of the builtin loop for N over 50 (each takes minutes)")
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "performance"))
    parser.add_argument("--skip-units", action="store_true")
    parser.add_argument("--skip-fleet", action="store_true")
    args = parser.parse_args()
    args.sizes = [int(n) for n in args.sizes.split(",")]
    args.hosts = [int(n) for n in args.hosts.split(",")]
    return args


# Hosts ---------------------------------------------------------------------

def start_hosts(hosts, workdir, unit_count):
    """Start systemd containers on the host's network, each sshd on its own loopback port."""
    key = os.path.join(workdir, "id_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    with open(key + ".pub") as handle:
        public_key = handle.read()
    subprocess.run(["podman", "rm", "-f"] + hosts, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    for host in hosts:
        subprocess.run(["podman", "run", "-d", "--name", host, "--hostname", host, "--network", "host",
                        "--systemd=always", IMAGE, "/sbin/init"], check=True, stdout=subprocess.DEVNULL)
    units = " ".join(UNIT_TEMPLATE % i for i in range(1, unit_count + 1))
    for index, host in enumerate(hosts):
        script = (
            # Right after start, systemctl may not reach systemd yet: retry.
            "for i in $(seq 60); do case $(systemctl is-system-running --wait 2>/dev/null) in"
            " running|degraded) break;; esac; sleep 1; done;"
            "for u in %s; do printf '[Service]\\nExecStart=/bin/sleep infinity\\n' > /lib/systemd/system/$u; done;"
            "mkdir -p /root/.ssh && chmod 700 /root/.ssh && printf '%%s' \"$KEY\" > /root/.ssh/authorized_keys;"
            "printf 'Port %d\\nListenAddress 127.0.0.1\\n' > /etc/ssh/sshd_config.d/bench.conf;"
            "systemctl daemon-reload && systemctl restart ssh.service"
        ) % (units, SSH_BASE_PORT + index)
        subprocess.run(["podman", "exec", "-e", "KEY=" + public_key, host, "sh", "-c", script], check=True)
    write_inventories(hosts, workdir, key)


def write_inventories(hosts, workdir, key):
    for connection in ("podman", "ssh"):
        lines = []
        for index, host in enumerate(hosts):
            if connection == "podman":
                lines.append("%s ansible_connection=containers.podman.podman" % host)
            else:
                lines.append("%s ansible_host=127.0.0.1 ansible_port=%d ansible_user=root "
                             "ansible_ssh_private_key_file=%s" % (host, SSH_BASE_PORT + index, key))
        with open(os.path.join(workdir, "inventory-%s" % connection), "w") as handle:
            handle.write("\n".join(lines) + "\n")


def reset_units(hosts, count):
    """Leave the first ``count`` bench units without any mask on every host."""
    units = " ".join(UNIT_TEMPLATE % i for i in range(1, count + 1))
    for host in hosts:
        subprocess.run(["podman", "exec", host, "sh", "-c",
                        "systemctl unmask --runtime -- %s >/dev/null 2>&1; systemctl unmask -- %s >/dev/null 2>&1"
                        % (units, units)], check=True)


# Running Ansible ------------------------------------------------------------

def ansible_env(workdir, connection, forks=5):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_PYTHON_INTERPRETER": "auto_silent",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_FORKS": str(forks),
        "ANSIBLE_LOCAL_TEMP": os.path.join(workdir, "tmp"),
    })
    if connection == "ssh":
        env.update({
            "ANSIBLE_PIPELINING": "True",
            "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=120s -o UserKnownHostsFile=/dev/null",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": os.path.join(workdir, "cp"),
        })
    return env


def run_playbook(workdir, connection, playbook, extra_vars, hosts_limit=None, forks=5):
    path = os.path.join(workdir, "play.yml")
    with open(path, "w") as handle:
        json.dump(playbook, handle)
    cmd = ["ansible-playbook", "-i", os.path.join(workdir, "inventory-%s" % connection), path,
           "-e", json.dumps(extra_vars)]
    if hosts_limit:
        cmd += ["--limit", hosts_limit]
    proc = subprocess.run(cmd, env=ansible_env(workdir, connection, forks), capture_output=True, text=True,
                          check=False)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        sys.exit("ansible-playbook gave no JSON report:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
    if proc.returncode != 0:
        sys.exit("ansible-playbook failed:\n%s" % json.dumps(report.get("stats"), indent=2) + proc.stdout[-4000:])
    return report


def seconds(duration):
    start = datetime.datetime.fromisoformat(duration["start"].replace("Z", "+00:00"))
    end = datetime.datetime.fromisoformat(duration["end"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


# Units: N units on one host -------------------------------------------------

def bench_units(args, host, workdir):
    results = {}
    for name, approach in APPROACHES.items():
        results[name] = {"label": approach["label"]}
        for size in args.sizes:
            repeats = args.repeats
            if name == "builtin" and size > 50:
                repeats = min(repeats, args.builtin_max_repeats_over_50)
            samples = {step: [] for step in STEPS}
            for _run in range(repeats):
                reset_units([host], size)
                tasks = [dict(approach["mask"], name="mask"), dict(approach["mask"], name="again"),
                         dict(approach["unmask"], name="unmask")]
                play = [{"hosts": "all", "gather_facts": False, "tasks": tasks}]
                units = [UNIT_TEMPLATE % i for i in range(1, size + 1)]
                report = run_playbook(workdir, "podman", play, {"units": units}, hosts_limit=host)
                for task in report["plays"][0]["tasks"]:
                    samples[task["task"]["name"]].append(seconds(task["task"]["duration"]))
            results[name][str(size)] = {step: statistics.median(samples[step]) for step in STEPS}
            results[name][str(size)]["runs"] = repeats
            print("%-8s N=%-4d %s" % (name, size, "  ".join(
                "%s %.2fs" % (step, results[name][str(size)][step]) for step in STEPS)), flush=True)
    return results


# Fleet: the role on many hosts ---------------------------------------------

def bench_fleet(args, hosts, workdir):
    baseline = [UNIT_TEMPLATE % i for i in range(1, 51)]
    # Layers are play or inventory variables: a role parameter named
    # masking_units__bench would be refused by the argument spec.
    play = [{"hosts": "all", "gather_facts": False, "vars": {"masking_units__bench": baseline},
             "roles": ["sysguard.systemd.masking"]}]
    results = {}
    for connection in ("podman", "ssh"):
        results[connection] = {}
        for count in args.hosts:
            subset = hosts[:count]
            samples = {"apply": [], "again": []}
            for _run in range(args.repeats):
                reset_units(subset, 50)
                for step in ("apply", "again"):
                    began = time.monotonic()
                    run_playbook(workdir, connection, play, {}, hosts_limit=",".join(subset), forks=max(args.hosts))
                    samples[step].append(time.monotonic() - began)
            results[connection][str(count)] = {
                step: statistics.median(values) for step, values in samples.items()}
            results[connection][str(count)]["per_host"] = results[connection][str(count)]["apply"] / count
            print("fleet %-6s hosts=%-3d apply %.2fs  again %.2fs" % (
                connection, count, results[connection][str(count)]["apply"],
                results[connection][str(count)]["again"]), flush=True)
    reset_units(hosts, 50)
    return results


# Reporting -------------------------------------------------------------------

def print_tables(results):
    units = results["units"]
    if units:
        sizes = [key for key in units["module"] if key != "label"]
        print("\nUnits on one host (median seconds of the task; ratios: builtin/module, module/floor)")
        print("%-6s %-7s %9s %9s %9s %10s %10s" % ("N", "step", "module", "builtin", "floor", "x faster", "vs floor"))
        for size in sizes:
            for step in STEPS:
                module = units["module"][size][step]
                builtin = units["builtin"][size][step]
                floor = units["floor"][size][step]
                print("%-6s %-7s %9.2f %9.2f %9.2f %10.1f %10.2f" % (
                    size, step, module, builtin, floor, builtin / module, module / floor))
    fleet = results["fleet"]
    if fleet:
        print("\nFleet: the role with a 50-unit baseline (median seconds of the whole play)")
        print("%-8s %-6s %9s %9s %9s" % ("conn", "hosts", "apply", "per host", "again"))
        for connection, rows in fleet.items():
            for count, row in rows.items():
                print("%-8s %-6s %9.2f %9.2f %9.2f" % (connection, count, row["apply"], row["per_host"], row["again"]))


def draw_chart(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed; no chart")
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, approach in results["units"].items():
        sizes = sorted(int(k) for k in approach if k != "label")
        left.plot(sizes, [approach[str(n)]["mask"] for n in sizes], marker="o", label=approach["label"])
    left.set(xscale="log", yscale="log", xlabel="units (N)", ylabel="seconds to mask N units",
             title="Masking N units on one host")
    left.legend(fontsize=8)
    left.grid(True, which="both", alpha=0.3)
    for connection, rows in results["fleet"].items():
        counts = sorted(int(k) for k in rows)
        right.plot(counts, [rows[str(c)]["apply"] for c in counts], marker="o", label="%s, apply" % connection)
        right.plot(counts, [rows[str(c)]["again"] for c in counts], marker="x", linestyle="--",
                   label="%s, nothing to change" % connection)
    right.set(xlabel="hosts", ylabel="seconds for the play", title="The role, 50-unit baseline")
    right.legend(fontsize=8)
    right.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def machine():
    return {"cores": os.cpu_count(), "python": sys.version.split()[0]}


def versions():
    def first_line(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.splitlines()[0]
        except (OSError, IndexError):
            return None
    return {
        "ansible-core": first_line(["ansible", "--version"]),
        "podman": first_line(["podman", "--version"]),
        "systemd": first_line(["podman", "run", "--rm", IMAGE, "systemctl", "--version"]),
    }


if __name__ == "__main__":
    main()
