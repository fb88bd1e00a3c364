"""Print the tables of docs/performance.md from the bench's results.json, in Markdown.

    python tools/bench/report.py [docs/performance/results.json]

The figures in the guide are pasted from this output, so that they are the
ones `make bench` measured last, to the digit.
"""

from __future__ import annotations

import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEPS = ("mask", "again", "unmask")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "docs", "performance", "results.json")
    with open(path) as handle:
        results = json.load(handle)
    print("Measured %s: %s, %s, %s, %d cores.\n" % (
        results["date"], results["versions"]["ansible-core"], results["versions"]["podman"],
        results["versions"]["systemd"], results["machine"]["cores"]))
    units_table(results["units"])
    targets_table(results["targets"])
    fleet_table(results["fleet"])
    costs_table(results["costs"])


def units_table(units):
    print("| N | step | module | builtin | floor | builtin / module | module / floor |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    sizes = sorted((k for k in units["module"] if k != "label"), key=int)
    for size in sizes:
        for step in STEPS:
            module = units["module"][size][step]
            floor = units["floor"][size][step]
            builtin = units["builtin"].get(size, {}).get(step)
            print("| %s | %s | %.2f s | %s | %.2f s | %s | %.2f |" % (
                size, step, module, "%.2f s" % builtin if builtin else "-", floor,
                "%.1f" % (builtin / module) if builtin else "-", module / floor))
    print()


def targets_table(targets):
    print("| N | step | module / floor | target | |")
    print("|---:|---|---:|---:|---|")
    for row in targets:
        print("| %d | %s | %s | %s | %s |" % (
            row["n"], row["step"], "%.2f" % row["ratio"] if row["ratio"] is not None else "-",
            "<= %.2f" % row["target"] if row["target"] else "none", row["status"]))
    print()


def fleet_table(fleet):
    print("| connection | hosts | role | per host | again | builtin loops | per host | builtin / role | calls |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for connection in ("ssh", "podman"):
        for count, row in sorted(fleet.get(connection, {}).items(), key=lambda item: int(item[0])):
            calls = sorted(set(row["calls"].values()))
            print("| %s | %s | %.2f s | %.2f s | %.2f s | %.1f s | %.1f s | %.1f | %s |" % (
                connection, count, row["apply"], row["per_host"], row["again"], row["builtin"],
                row["builtin_per_host"], row["ratio"], ", ".join(str(c) for c in calls)))
    print()


def costs_table(costs):
    versions = sorted({v for by_version in costs["seconds"].values() for v in by_version}, key=int)
    print("| command, 200 units | %s |" % " | ".join("systemd %s" % v for v in versions))
    print("|---|%s|" % "|".join(["---:"] * len(versions)))
    for key, label in costs["labels"].items():
        print("| %s | %s |" % (label, " | ".join(
            "%.3f s" % costs["seconds"][key][v] for v in versions)))
    print()


if __name__ == "__main__":
    main()
