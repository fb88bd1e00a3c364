#!/usr/bin/env bash
# Print the path of a containers.conf that works around limits of the machine we
# run on, or nothing when stock podman settings work (a developer laptop).
#
# Two limits are known:
# - hybrid cgroups (v1 hierarchies with v2 mounted under "unified"): crun refuses
#   them, runc handles them. systemd 258 and later refuse to boot on v1 at all
#   ("Detected unsupported legacy cgroup hierarchy"), so containers get the v2
#   hierarchy at /sys/fs/cgroup, as podman gives them on a v2-only machine. Here
#   that is the machine's whole v2 tree, seen through the host's cgroup namespace:
#   each container's systemd manages the subtree of its own cgroup and sees the
#   others' (read and write, as root), which suits a machine that runs throwaway
#   test containers and nothing else;
# - no CAP_SYS_RESOURCE: podman's default nofile/nproc limits (1048576) are above
#   the hard limits, so setrlimit fails unless the limits are given explicitly.
#   Values near the hard limit were refused too (runc's own process runs with lower
#   limits), so a modest 4096, or the hard limit if lower, is used.
set -euo pipefail

out=${1:?usage: podman-quirks.sh OUTPUT_FILE}

wanted_limit=1048576
runtime=
cgroup_volume=
ulimits=

if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] \
  && [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
  runtime=runc
  cgroup_volume=/sys/fs/cgroup/unified:/sys/fs/cgroup:rw
fi

hard_nofile=$(ulimit -Hn)
hard_nproc=$(ulimit -Hu)
if [ "$hard_nofile" != unlimited ] && [ "$hard_nofile" -lt "$wanted_limit" ] \
  || { [ "$hard_nproc" != unlimited ] && [ "$hard_nproc" -lt "$wanted_limit" ]; }; then
  limit() { if [ "$1" = unlimited ] || [ "$1" -gt 4096 ]; then echo 4096; else echo "$1"; fi; }
  nofile=$(limit "$hard_nofile")
  nproc=$(limit "$hard_nproc")
  ulimits="\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\""
fi

if [ -z "$runtime" ] && [ -z "$ulimits" ]; then
  rm -f "$out"
  exit 0
fi

mkdir -p "$(dirname "$out")"
{
  echo "# Written by tools/podman-quirks.sh for this machine; do not edit."
  if [ -n "$ulimits" ] || [ -n "$cgroup_volume" ]; then
    echo "[containers]"
  fi
  if [ -n "$ulimits" ]; then
    echo "default_ulimits = [$ulimits]"
  fi
  if [ -n "$cgroup_volume" ]; then
    echo "cgroupns = \"host\""
    echo "volumes = [\"$cgroup_volume\"]"
  fi
  if [ -n "$runtime" ]; then
    echo "[engine]"
    echo "runtime = \"$runtime\""
  fi
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
