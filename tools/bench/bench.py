"""`make bench`: sysguard.systemd.mask against ansible.builtin.systemd_service.

Runs on local systemd containers built by `make images` and writes tables to the
terminal, results.json and chart.png to docs/performance/ (or --out).

- units: N units, installed on one Debian 12 host and not loaded by systemd,
  masked, masked again (nothing to change) and unmasked, by
  (a) sysguard.systemd.mask with the N names in one task,
  (b) ansible.builtin.systemd_service with masked: true in a loop over the N,
      up to N=200 only (at 1000 it alone would take an hour),
  (c) the floor: one ansible.builtin.command running systemctl with the N names.
  Each task is timed by Ansible itself (the ansible.posix.json callback); each
  run times the contenders in turn, side by side. The targets of issue 12
  (module / floor) are checked on these figures.
- fleet: the role sysguard.systemd.masking with a mixed 50-unit baseline
  (persistent masks, runtime masks, masks that stop running units, unmasks) on
  1, 4 and 16 hosts, over the podman connection and over SSH (sshd on loopback
  ports, pipelining and ControlPersist on), timed as the whole play; and the same
  baseline applied by builtin modules in loops, run once.
- costs: what each systemctl (and busctl) call costs for 200 installed units,
  timed inside one container each of Debian 11, 12, 13 and 14 (systemd 247, 252,
  257, 262).

Exits non-zero at the very end, after writing its files, if a target is not met.
With --keep, the parts a run skips are taken from the results.json already in
--out, and the new one names them and their date (results.json "kept").
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
IMAGES = {release: "localhost/sysguard/debian-systemd:%s" % release for release in ("11", "12", "13", "14")}
IMAGE = IMAGES["12"]
PREFIX = "sysguard-bench"
UNITS_HOST = PREFIX + "-units"
UNIT_TEMPLATE = "sysguard-bench-%03d.service"
SSH_BASE_PORT = 22400

# The builtin loop costs about 1.2 s per unit and step: 200 is the last N it runs at.
BUILTIN_MAX_N = 200
# Units installed on each fleet host, of which the baseline names 50: real hosts
# carry hundreds, and a module that reads more than it was asked would show it.
FLEET_INSTALLED = 200
COSTS_UNITS = 200

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

# Issue 12: (N, step, highest module / floor allowed); None: measured, no target.
TARGETS = (
    (50, "mask", 1.10),
    (50, "unmask", 1.10),
    (200, "mask", 1.30),
    (200, "unmask", 1.30),
    (200, "again", 1.00),
    (1000, "mask", None),
)

# The fleet's mixed baseline, by bench unit number. reset_fleet() leaves each
# group where its item has something to change: the masks unmasked (the `now`
# ones running), the unmasks masked.
FLEET_GROUPS = {
    "masked": range(1, 31),
    "runtime": range(31, 41),
    "now": range(41, 46),
    "unmasked": range(46, 51),
}
FLEET_BUILTIN_LABEL = ("ansible.builtin.systemd_service loops (runtime masks: ansible.builtin.command "
                       "systemctl mask --runtime, loop)")

# Run in this order on the same 200 units, each command finds the state the one
# before it left: (key, label, shell command on the names in "$@").
MANAGER_CALL = "busctl --json=short call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager"
LIST_UNITS_BY_NAMES = MANAGER_CALL + " ListUnitsByNames as $# \"$@\""
COST_COMMANDS = (
    ("list_units", "list-units --all (every loaded unit)", "systemctl list-units --all --plain --no-legend --full"),
    ("by_names_unloaded", "busctl ListUnitsByNames, not loaded", LIST_UNITS_BY_NAMES),
    ("show_unloaded", "show Id,LoadState,ActiveState, not loaded",
     "systemctl show --property=Id,LoadState,ActiveState -- \"$@\""),
    ("files_unmasked", "list-unit-files NAMES, unmasked", "systemctl list-unit-files --no-legend --full -- \"$@\""),
    ("mask", "mask (with its daemon-reload)", "systemctl mask -- \"$@\""),
    ("by_names_masked", "busctl ListUnitsByNames, masked", LIST_UNITS_BY_NAMES),
    ("show_masked", "show Id,LoadState,ActiveState, masked",
     "systemctl show --property=Id,LoadState,ActiveState -- \"$@\""),
    ("files_masked", "list-unit-files NAMES, masked", "systemctl list-unit-files --no-legend --full -- \"$@\""),
    ("mask_again", "mask again (already masked)", "systemctl mask -- \"$@\""),
    ("unmask", "unmask (with its daemon-reload)", "systemctl unmask -- \"$@\""),
    ("mask_no_reload", "mask --no-reload", "systemctl mask --no-reload -- \"$@\""),
    ("daemon_reload", "daemon-reload (after mask --no-reload)", "systemctl daemon-reload"),
    # The module's way where the bus answers: the manager's own methods, one reload after them.
    ("unmask_method", "busctl UnmaskUnitFiles (no reload)", MANAGER_CALL + " UnmaskUnitFiles asb $# \"$@\" false"),
    ("mask_method", "busctl MaskUnitFiles (no reload)", MANAGER_CALL + " MaskUnitFiles asbb $# \"$@\" false false"),
)


def main():
    args = parse_args()
    workdir = tempfile.mkdtemp(prefix="sysguard-bench-")
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "machine": machine(),
        "versions": versions(),
        "repeats": args.repeats,
        "units": {},
        "targets": [],
        "fleet": {},
        "costs": {},
        "forecast": forecast(args),
        "elapsed": {},
    }
    print_estimate(results["forecast"])
    try:
        if not args.skip_units:
            began = time.monotonic()
            results["units"] = bench_units(args, workdir)
            part_done(results, "units", began)
        if not args.skip_fleet:
            results["fleet"] = bench_fleet(args, workdir, results["elapsed"])
        if not args.skip_costs:
            began = time.monotonic()
            results["costs"] = bench_costs(args)
            part_done(results, "costs", began)
    finally:
        remove_containers(all_containers(args))
        shutil.rmtree(workdir, ignore_errors=True)

    if args.keep:
        keep_skipped_parts(args, results)
    results["targets"] = check_targets(results["units"])
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=2, sort_keys=True)
        handle.write("\n")
    print_tables(results)
    draw_chart(results, os.path.join(args.out, "chart.png"))
    print("\nwrote %s/results.json and %s/chart.png" % (args.out, args.out))
    missed = ["N=%d %s %.2f > %.2f" % (t["n"], t["step"], t["ratio"], t["target"])
              for t in results["targets"] if t["status"] == "NOT MET"]
    if missed:
        sys.exit("bench: %d target(s) not met: %s" % (len(missed), "; ".join(missed)))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="1,10,50,200,1000", help="unit counts N")
    parser.add_argument("--hosts", default="1,4,16", help="fleet sizes")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--builtin-max-repeats-over-50", type=int, default=1,
                        help="runs of the builtin loop for N over 50 (each takes minutes)")
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "performance"))
    parser.add_argument("--skip-units", action="store_true")
    parser.add_argument("--skip-fleet", action="store_true")
    parser.add_argument("--skip-costs", action="store_true")
    parser.add_argument("--skip-builtin", action="store_true", help="units part without the builtin loop")
    parser.add_argument("--keep", action="store_true",
                        help="take the parts skipped (fleet, costs, the builtin loop) from the results.json "
                             "already in --out, and say so in the new one")
    args = parser.parse_args()
    args.sizes = sorted(int(n) for n in args.sizes.split(","))
    args.hosts = sorted(int(n) for n in args.hosts.split(","))
    return args


def keep_skipped_parts(args, results):
    """Fill in the parts this run skipped from the previous results, naming them and their date."""
    with open(os.path.join(args.out, "results.json")) as handle:
        previous = json.load(handle)
    kept = []
    for part, skipped in (("fleet", args.skip_fleet), ("costs", args.skip_costs)):
        if skipped and previous.get(part):
            results[part] = previous[part]
            results["elapsed"].update((k, v) for k, v in previous["elapsed"].items() if k.startswith(part))
            kept.append(part)
    if args.skip_builtin and previous.get("units", {}).get("builtin") and results["units"]:
        results["units"]["builtin"] = previous["units"]["builtin"]
        kept.append("units: builtin loop")
    results["kept"] = {"from": previous["date"], "parts": kept}
    print("kept from the run of %s: %s" % (previous["date"], ", ".join(kept) or "nothing"))


def part_done(results, part, began):
    results["elapsed"][part] = time.monotonic() - began
    print("-- %s took %.1f min" % (part, results["elapsed"][part] / 60), flush=True)


# Containers ------------------------------------------------------------------

def unit_names(first, last):
    return [UNIT_TEMPLATE % i for i in range(first, last + 1)]


def fleet_hosts(args):
    return ["%s-%02d" % (PREFIX, i) for i in range(1, max(args.hosts) + 1)]


def costs_host(release):
    return "%s-costs-%s" % (PREFIX, release)


def all_containers(args):
    return [UNITS_HOST] + fleet_hosts(args) + [costs_host(release) for release in IMAGES]


def remove_containers(names):
    subprocess.run(["podman", "rm", "-f", "-t", "0"] + names, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)


def start_containers(names, image, network):
    remove_containers(names)
    for name in names:
        subprocess.run(["podman", "run", "-d", "--name", name, "--hostname", name, "--network", network,
                        "--systemd=always", image, "/sbin/init"], check=True, stdout=subprocess.DEVNULL)


def run_on_hosts(hosts, script, script_args=(), env=None):
    """Run a shell script in every host at once: a fleet's reset takes as long as its slowest host."""
    procs = []
    for host in hosts:
        cmd = ["podman", "exec"]
        for name, value in (env or {}).items():
            cmd += ["-e", "%s=%s" % (name, value)]
        cmd += [host, "sh", "-c", script, "sh"] + list(script_args)
        procs.append((host, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    outputs = {}
    for host, proc in procs:
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            sys.exit("on %s, the script failed (%d):\n%s\n%s" % (host, proc.returncode, script, stderr[-2000:]))
        outputs[host] = stdout
    return outputs


def install_units(hosts, count):
    """Wait for systemd on each host, then install ``count`` bench units that nothing loads."""
    script = (
        # Right after start, systemctl may not reach systemd yet: retry.
        "for i in $(seq 60); do case $(systemctl is-system-running --wait 2>/dev/null) in"
        " running|degraded) break;; esac; sleep 1; done;"
        # A service that runs until stopped, so that `now` has something to stop.
        "for u in \"$@\"; do printf '[Service]\\nExecStart=/bin/sleep infinity\\n' > /lib/systemd/system/$u; done;"
        "systemctl daemon-reload"
    )
    run_on_hosts(hosts, script, unit_names(1, count))


def start_fleet(hosts, workdir):
    """Start systemd containers on the host's network, each sshd on its own loopback port."""
    key = os.path.join(workdir, "id_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    with open(key + ".pub") as handle:
        public_key = handle.read()
    start_containers(hosts, IMAGE, "host")
    install_units(hosts, FLEET_INSTALLED)
    for index, host in enumerate(hosts):
        script = (
            "mkdir -p /root/.ssh && chmod 700 /root/.ssh && printf '%%s' \"$KEY\" > /root/.ssh/authorized_keys;"
            "printf 'Port %d\\nListenAddress 127.0.0.1\\n' > /etc/ssh/sshd_config.d/bench.conf;"
            "systemctl restart ssh.service"
        ) % (SSH_BASE_PORT + index)
        run_on_hosts([host], script, env={"KEY": public_key})
    for connection in ("podman", "ssh"):
        write_inventory(workdir, connection, hosts, key)


def write_inventory(workdir, connection, hosts, key=None):
    lines = []
    for index, host in enumerate(hosts):
        if connection == "podman":
            lines.append("%s ansible_connection=containers.podman.podman" % host)
        else:
            lines.append("%s ansible_host=127.0.0.1 ansible_port=%d ansible_user=root "
                         "ansible_ssh_private_key_file=%s" % (host, SSH_BASE_PORT + index, key))
    path = os.path.join(workdir, "inventory-%s-%d" % (connection, len(hosts)))
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def reset_units(host, count):
    """Leave the first ``count`` bench units without any mask, and check systemd has none loaded."""
    output = run_on_hosts([host], "systemctl unmask --runtime -- \"$@\" >/dev/null 2>&1;"
                                  " systemctl unmask -- \"$@\" >/dev/null 2>&1;"
                                  " systemctl list-units --all --plain --no-legend --full 'sysguard-bench-*' | wc -l",
                          unit_names(1, count))
    if int(output[host]) > 0:
        print("warning: %s bench units loaded before a run on %s" % (output[host].strip(), host), flush=True)


def fleet_units():
    return {group: [UNIT_TEMPLATE % i for i in numbers] for group, numbers in FLEET_GROUPS.items()}


def reset_fleet(hosts):
    """Leave every item of the fleet's baseline with something to change."""
    units = fleet_units()
    everything = [unit for group in units.values() for unit in group]
    script = (
        "systemctl unmask --runtime -- $ALL >/dev/null 2>&1; systemctl unmask -- $ALL >/dev/null 2>&1;"
        "systemctl mask -- $UNMASKED >/dev/null 2>&1 && systemctl start -- $NOW"
    )
    run_on_hosts(hosts, script, env={"ALL": " ".join(everything), "UNMASKED": " ".join(units["unmasked"]),
                                     "NOW": " ".join(units["now"])})


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


def run_playbook(workdir, inventory, connection, playbook, extra_vars=None, forks=5):
    path = os.path.join(workdir, "play.yml")
    with open(path, "w") as handle:
        json.dump(playbook, handle)
    cmd = ["ansible-playbook", "-i", inventory, path, "-e", json.dumps(extra_vars or {})]
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

def bench_units(args, workdir):
    # Its own container, reached through podman only: no network, no sshd, and
    # the N=1000 units do not weigh on the fleet hosts.
    start_containers([UNITS_HOST], IMAGE, "none")
    install_units([UNITS_HOST], max(args.sizes))
    inventory = write_inventory(workdir, "podman", [UNITS_HOST])
    names = [name for name in APPROACHES if name != "builtin" or not args.skip_builtin]
    results = dict((name, {"label": APPROACHES[name]["label"]}) for name in names)
    for size in args.sizes:
        # Side by side: each run times every contender in turn, so that a
        # change in the machine's load weighs on all of them alike.
        runs = dict((name, unit_runs(args, name, size)) for name in names)
        samples = dict((name, {step: [] for step in STEPS}) for name in names if runs[name])
        for run in range(max(runs.values())):
            for name in samples:
                if run >= runs[name]:
                    continue
                approach = APPROACHES[name]
                reset_units(UNITS_HOST, size)
                tasks = [dict(approach["mask"], name="mask"), dict(approach["mask"], name="again"),
                         dict(approach["unmask"], name="unmask")]
                play = [{"hosts": "all", "gather_facts": False, "tasks": tasks}]
                report = run_playbook(workdir, inventory, "podman", play, {"units": unit_names(1, size)})
                for task in report["plays"][0]["tasks"]:
                    samples[name][task["task"]["name"]].append(seconds(task["task"]["duration"]))
        for name in samples:
            results[name][str(size)] = {step: statistics.median(samples[name][step]) for step in STEPS}
            results[name][str(size)]["runs"] = runs[name]
            print("%-8s N=%-4d %s" % (name, size, "  ".join(
                "%s %.2fs" % (step, results[name][str(size)][step]) for step in STEPS)), flush=True)
    remove_containers([UNITS_HOST])
    return results


def unit_runs(args, name, size):
    """How many times ``name`` runs at ``size``: the builtin loop takes minutes at large N."""
    if name != "builtin":
        return args.repeats
    if size > BUILTIN_MAX_N:
        return 0
    if size > 50:
        return min(args.repeats, args.builtin_max_repeats_over_50)
    return args.repeats


def check_targets(units):
    """Issue 12's targets on the module / floor ratios; a size not run is not measured."""
    rows = []
    if not units:
        return rows
    for size, step, target in TARGETS:
        row = {"n": size, "step": step, "target": target, "ratio": None, "status": "not measured"}
        if str(size) in units.get("module", {}) and str(size) in units.get("floor", {}):
            row["ratio"] = units["module"][str(size)][step] / units["floor"][str(size)][step]
            if target is None:
                row["status"] = "measured"
            else:
                row["status"] = "met" if row["ratio"] <= target else "NOT MET"
        rows.append(row)
    return rows


# Fleet: the role on many hosts ---------------------------------------------

def fleet_baseline():
    """The layer masking_units__bench: plain names for the persistent masks, items for the rest."""
    units = fleet_units()
    return (units["masked"]
            + [{"name": unit, "runtime": True} for unit in units["runtime"]]
            + [{"name": unit, "now": True} for unit in units["now"]]
            + [{"name": unit, "state": "unmasked"} for unit in units["unmasked"]])


def fleet_builtin_tasks():
    """The same baseline with builtin modules, one item per unit, unmasking first as the role does."""
    units = fleet_units()
    return [
        {"name": "unmask", "ansible.builtin.systemd_service": {"name": "{{ item }}", "masked": False},
         "loop": units["unmasked"]},
        {"name": "mask", "ansible.builtin.systemd_service": {"name": "{{ item }}", "masked": True},
         "loop": units["masked"]},
        # systemd_service has no runtime masks: the command module runs systemctl instead.
        {"name": "mask --runtime", "ansible.builtin.command": {"argv": [
            "systemctl", "mask", "--runtime", "--", "{{ item }}"]}, "loop": units["runtime"]},
        {"name": "mask and stop", "ansible.builtin.systemd_service": {
            "name": "{{ item }}", "masked": True, "state": "stopped"}, "loop": units["now"]},
    ]


def bench_fleet(args, workdir, elapsed):
    began = time.monotonic()
    hosts = fleet_hosts(args)
    start_fleet(hosts, workdir)
    elapsed["fleet setup"] = time.monotonic() - began
    # Layers are play or inventory variables: a role parameter named
    # masking_units__bench would be refused by the argument spec. The debug task
    # after the role reads how many module calls it made; it runs on the
    # controller, a few milliseconds per host.
    role_play = [{"hosts": "all", "gather_facts": False, "vars": {"masking_units__bench": fleet_baseline()},
                  "roles": ["sysguard.systemd.masking"],
                  "post_tasks": [{"name": "calls", "ansible.builtin.debug": {"var": "masking_result.calls"}}]}]
    builtin_play = [{"hosts": "all", "gather_facts": False, "tasks": fleet_builtin_tasks()}]
    results = {"baseline": {group: len(numbers) for group, numbers in FLEET_GROUPS.items()},
               "builtin_label": FLEET_BUILTIN_LABEL}
    elapsed["fleet, role"] = elapsed["fleet, builtin"] = 0.0
    for connection in ("podman", "ssh"):
        results[connection] = {}
        for count in args.hosts:
            subset = hosts[:count]
            inventory = write_inventory(workdir, connection, subset,
                                        os.path.join(workdir, "id_ed25519"))
            began = time.monotonic()
            samples = {"apply": [], "again": []}
            calls = {}
            for _run in range(args.repeats):
                reset_fleet(subset)
                for step in ("apply", "again"):
                    started = time.monotonic()
                    report = run_playbook(workdir, inventory, connection, role_play, forks=max(args.hosts))
                    samples[step].append(time.monotonic() - started)
                    warn_unchanged(report, "role " + step, step == "apply")
                    calls[step] = role_calls(report)
            elapsed["fleet, role"] += time.monotonic() - began
            # Run once: at 16 hosts the loops alone take minutes.
            began = time.monotonic()
            reset_fleet(subset)
            started = time.monotonic()
            report = run_playbook(workdir, inventory, connection, builtin_play, forks=max(args.hosts))
            builtin = time.monotonic() - started
            warn_unchanged(report, "builtin apply", True)
            elapsed["fleet, builtin"] += time.monotonic() - began
            row = {step: statistics.median(values) for step, values in samples.items()}
            row.update({
                "runs": args.repeats,
                "per_host": row["apply"] / count,
                "builtin": builtin,
                "builtin_per_host": builtin / count,
                "builtin_runs": 1,
                "ratio": builtin / row["apply"],
                "calls": calls["apply"],
                "calls_again": calls["again"],
            })
            results[connection][str(count)] = row
            print("fleet %-6s hosts=%-3d role apply %.2fs  again %.2fs  builtin %.2fs  calls %s" % (
                connection, count, row["apply"], row["again"], row["builtin"],
                ",".join(sorted(set(str(n) for n in row["calls"].values())))), flush=True)
    remove_containers(hosts)
    for part in ("fleet setup", "fleet, role", "fleet, builtin"):
        print("-- %s took %.1f min" % (part, elapsed[part] / 60), flush=True)
    return results


def role_calls(report):
    """masking_result.calls on each host, as the debug task printed it (None when the role sets none)."""
    calls = {}
    for task in report["plays"][0]["tasks"]:
        if task["task"]["name"] == "calls":
            for host, result in task["hosts"].items():
                value = result.get("masking_result.calls")
                calls[host] = value if isinstance(value, int) else None
    return calls


def warn_unchanged(report, what, should_change):
    """Say so when a run that should change something did not, or the reverse: the reset went wrong."""
    for host, stats in report["stats"].items():
        if bool(stats.get("changed")) != should_change:
            print("warning: %s on %s: %d changed tasks" % (what, host, stats.get("changed", 0)), flush=True)


# Costs: what each systemctl call costs, on three systemd versions --------------

def bench_costs(args):
    timed = [
        "s=$(date +%s%N); " + command + " >/dev/null 2>&1; rc=$?; e=$(date +%s%N);"
        " echo \"" + key + " $((e - s)) $rc\""
        for key, _label, command in COST_COMMANDS]
    script = "\n".join([
        "set -u",
        # Not loaded at the start of each run, as the module's first read finds them.
        "loaded() { systemctl list-units --all --plain --no-legend --full 'sysguard-bench-*' | wc -l; }",
        "for run in $(seq %d); do" % args.repeats,
        "echo \"loaded $(loaded) 0\"",
    ] + timed + [
        # Back to the start: no mask, nothing loaded.
        "systemctl unmask -- \"$@\" >/dev/null 2>&1",
        "done",
    ])
    results = {"units": COSTS_UNITS, "runs": args.repeats, "systemd": {},
               "labels": {key: label for key, label, _command in COST_COMMANDS}, "seconds": {}}
    for release, image in IMAGES.items():
        host = costs_host(release)
        start_containers([host], image, "none")
        install_units([host], COSTS_UNITS)
        version = run_on_hosts([host], "systemctl --version")[host].splitlines()[0]
        major = version.split()[1]
        output = run_on_hosts([host], script, unit_names(1, COSTS_UNITS))[host]
        remove_containers([host])
        samples = {}
        for line in output.splitlines():
            key, nanoseconds, status = line.split()
            if status != "0":
                sys.exit("costs, Debian %s: %s failed (%s)" % (release, key, status))
            samples.setdefault(key, []).append(int(nanoseconds) / 1e9)
        if max(samples.pop("loaded")):
            print("warning: Debian %s: bench units were loaded at the start of a run" % release)
        results["systemd"][major] = "Debian %s, %s" % (release, version)
        for key, values in samples.items():
            results["seconds"].setdefault(key, {})[major] = statistics.median(values)
        print("costs  systemd %s: %s" % (major, "  ".join(
            "%s %.3fs" % (key, results["seconds"][key][major]) for key, _label, _command in COST_COMMANDS)),
            flush=True)
    return results


# Reporting -------------------------------------------------------------------

# Seconds, measured on a quiet 2-core machine, for the forecast printed at the
# start: the builtin loops are most of the run, and a fleet of more hosts than
# cores takes as long as its machine time. Rough: a busy machine takes longer.
FORECAST = {
    "playbook": 3.0,             # an ansible-playbook run's start, and the reset before it
    "builtin_item": 1.15,        # one unit in one step of the builtin loop, over podman
    "module_run": (4.0, 0.010),  # the module's three steps: a + b * N
    "floor_run": (4.5, 0.015),   # the floor's three steps: a + b * N
    "role_host": {"podman": 2.2, "ssh": 1.0},          # role apply and again, per host
    "builtin_fleet_one": {"podman": 55.0, "ssh": 26.0},  # the builtin loops on one host
    "builtin_fleet_cpu": {"podman": 60.0, "ssh": 25.0},  # their machine time per host
    "container": 2.0,            # starting one container and installing its units
    "costs_run": 3.5,            # one run of every command in COST_COMMANDS
}


def forecast(args):
    """Seconds each part should take on this machine, from FORECAST."""
    cores = os.cpu_count() or 1
    parts = {}
    if not args.skip_units:
        spent = FORECAST["container"]
        for size in args.sizes:
            for key in ("module_run", "floor_run"):
                base, per_unit = FORECAST[key]
                spent += args.repeats * (FORECAST["playbook"] + base + per_unit * size)
            runs = unit_runs(args, "builtin", size) if not args.skip_builtin else 0
            spent += runs * (FORECAST["playbook"] + len(STEPS) * FORECAST["builtin_item"] * size)
        parts["units"] = spent
    if not args.skip_fleet:
        parts["fleet setup"] = FORECAST["container"] * max(args.hosts)
        parts["fleet, role"] = sum(
            args.repeats * (3 * FORECAST["playbook"] + FORECAST["role_host"][connection] * count)
            for connection in ("podman", "ssh") for count in args.hosts)
        parts["fleet, builtin"] = sum(
            FORECAST["playbook"] + max(FORECAST["builtin_fleet_one"][connection],
                                       FORECAST["builtin_fleet_cpu"][connection] * count / cores)
            for connection in ("podman", "ssh") for count in args.hosts)
    if not args.skip_costs:
        parts["costs"] = len(IMAGES) * (FORECAST["container"] + args.repeats * FORECAST["costs_run"])
    return parts


def print_estimate(parts):
    print("Forecast for a quiet %d-core machine: %s; total about %.0f min" % (
        os.cpu_count() or 1, ", ".join("%s %.1f min" % (part, spent / 60) for part, spent in parts.items()),
        sum(parts.values()) / 60),
        flush=True)


def print_tables(results):
    units = results["units"]
    if units:
        sizes = sorted(int(key) for key in units["module"] if key != "label")
        print("\nUnits on one host (median seconds of the task; ratios: builtin/module, module/floor)")
        print("%-6s %-7s %9s %9s %9s %10s %10s" % ("N", "step", "module", "builtin", "floor", "x faster", "vs floor"))
        for size in sizes:
            for step in STEPS:
                module = units["module"][str(size)][step]
                floor = units["floor"][str(size)][step]
                if str(size) in units.get("builtin", {}):
                    builtin = units["builtin"][str(size)][step]
                    builtin_cells = "%9.2f" % builtin, "%10.1f" % (builtin / module)
                else:
                    builtin_cells = "%9s" % "-", "%10s" % "-"
                print("%-6s %-7s %9.2f %s %9.2f %s %10.2f" % (
                    size, step, module, builtin_cells[0], floor, builtin_cells[1], module / floor))
    if results["targets"]:
        print("\nTargets (issue 12): module / floor, one host, N units not loaded")
        print("%-6s %-7s %9s %9s %12s %8s  %s" % ("N", "step", "module", "floor", "module/floor", "target", "status"))
        for row in results["targets"]:
            measured = row["ratio"] is not None
            print("%-6d %-7s %9s %9s %12s %8s  %s" % (
                row["n"], row["step"],
                "%.2f" % units["module"][str(row["n"])][row["step"]] if measured else "-",
                "%.2f" % units["floor"][str(row["n"])][row["step"]] if measured else "-",
                "%.2f" % row["ratio"] if measured else "-",
                "<= %.2f" % row["target"] if row["target"] is not None else "none",
                row["status"]))
    fleet = results["fleet"]
    if fleet:
        print("\nFleet: the role with a mixed 50-unit baseline (%s), against %s"
              % (", ".join("%d %s" % (n, group) for group, n in fleet["baseline"].items()), fleet["builtin_label"]))
        print("(seconds of the whole ansible-playbook run; role: median, builtin: one run)")
        print("%-7s %5s %10s %10s %9s %9s %12s %13s %6s" % (
            "conn", "hosts", "role apply", "role again", "per host", "builtin", "builtin/host", "builtin/role",
            "calls"))
        for connection in ("podman", "ssh"):
            for count, row in fleet.get(connection, {}).items():
                print("%-7s %5s %10.2f %10.2f %9.2f %9.2f %12.2f %13.1f %6s" % (
                    connection, count, row["apply"], row["again"], row["per_host"], row["builtin"],
                    row["builtin_per_host"], row["ratio"],
                    ",".join(sorted(set(str(n) for n in row["calls"].values())))))
    costs = results["costs"]
    if costs:
        majors = sorted(costs["systemd"], key=int)
        print("\nCost of each call for %d units not loaded, timed inside the container (median of %d, seconds)"
              % (costs["units"], costs["runs"]))
        print("%-42s %s" % ("command", " ".join("%11s" % ("systemd " + major) for major in majors)))
        for key, label, _command in COST_COMMANDS:
            print("%-42s %s" % (label, " ".join("%11.3f" % costs["seconds"][key][major] for major in majors)))
    if results["elapsed"]:
        print("\nElapsed: %s; total %.1f min" % (
            ", ".join("%s %.1f min" % (part, spent / 60) for part, spent in results["elapsed"].items()),
            sum(results["elapsed"].values()) / 60))


def draw_chart(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter, LogFormatter
    except ImportError:
        print("matplotlib is not installed; no chart")
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    # Plain numbers on the log axes, and a tick at each N and host count measured.
    plain = FuncFormatter(lambda value, _position: "%g" % value)
    blank = FuncFormatter(lambda _value, _position: "")
    # Between decades, a few of the in-between seconds too.
    formatters = (plain, blank, LogFormatter)
    measured = set()
    for name in APPROACHES:
        approach = results["units"].get(name, {})
        sizes = sorted(int(k) for k in approach if k != "label")
        if sizes:
            left.plot(sizes, [approach[str(n)]["mask"] for n in sizes], marker="o", label=approach["label"])
            measured.update(sizes)
    left.set(xlabel="units (N)", ylabel="seconds to mask N units", title="Masking N units on one host")
    if measured:
        left.set(xscale="log", yscale="log", xticks=sorted(measured))
        log_axes(left, *formatters)
    fleet = results["fleet"]
    measured = set()
    for connection in ("podman", "ssh"):
        rows = fleet.get(connection, {})
        counts = sorted(int(k) for k in rows)
        if not counts:
            continue
        measured.update(counts)
        line = right.plot(counts, [rows[str(c)]["apply"] for c in counts], marker="o",
                          label="%s, role" % connection)[0]
        right.plot(counts, [rows[str(c)]["again"] for c in counts], marker="x", linestyle=":",
                   color=line.get_color(), label="%s, role, nothing to change" % connection)
        right.plot(counts, [rows[str(c)]["builtin"] for c in counts], marker="s", linestyle="--",
                   color=line.get_color(), label="%s, builtin loops" % connection)
    right.set(xlabel="hosts", ylabel="seconds for the play",
              title="Mixed 50-unit baseline: the role against builtin loops")
    if measured:
        right.set(xscale="log", yscale="log", xticks=sorted(measured))
        log_axes(right, *formatters)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def log_axes(axes, plain, blank, log_formatter):
    axes.xaxis.set_major_formatter(plain)
    axes.xaxis.set_minor_formatter(blank)
    axes.yaxis.set_major_formatter(plain)
    axes.yaxis.set_minor_formatter(log_formatter(labelOnlyBase=False))
    axes.legend(fontsize=8)
    axes.grid(True, which="both", alpha=0.3)


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
