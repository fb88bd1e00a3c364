#!/usr/bin/env bash
# Build the systemd container image for one Debian release, unless an image built
# from this very recipe already exists.
#
#   images/build.sh 12        -> localhost/sysguard/debian-systemd:12
#
# The root file system comes from Debian's packages through mmdebstrap, so no image
# registry is needed. mmdebstrap picks its default Debian mirror when none is given,
# which keeps every host name out of this repository.
set -euo pipefail

release=${1:?usage: images/build.sh 11|12|13}
case "$release" in
  11) suite=bullseye ;;
  12) suite=bookworm ;;
  13) suite=trixie ;;
  *) echo "images/build.sh: unknown Debian release '$release' (known: 11 12 13)" >&2; exit 2 ;;
esac

image="localhost/sysguard/debian-systemd:$release"

# What the scenarios need on every platform: systemd as PID 1 with D-Bus, Python for
# Ansible modules, a few real packaged units to mask (cron, ssh with its
# sshd.service alias), and for users' own managers: pam_systemd (which gives a
# lingering user's manager its XDG_RUNTIME_DIR), sudo and acl (become_user).
packages=systemd,systemd-sysv,dbus,python3,cron,openssh-server,sudo,libpam-systemd,acl

recipe=$(cat "$0"; echo "$suite $packages")
recipe_hash=$(printf '%s' "$recipe" | sha256sum | cut -c1-16)

current=$(podman image inspect --format '{{ index .Labels "sysguard.recipe" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$recipe_hash" ]; then
  echo "$image is up to date (recipe $recipe_hash)"
  exit 0
fi

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

echo "building $image from Debian $suite (recipe $recipe_hash)"
mmdebstrap --quiet --variant=minbase --include="$packages" \
  --customize-hook='rm -f "$1/etc/machine-id" && touch "$1/etc/machine-id"' \
  "$suite" "$workdir/rootfs.tar" </dev/null

previous=$(podman image inspect --format '{{ .Id }}' "$image" 2>/dev/null || true)
podman import \
  --change 'CMD ["/sbin/init"]' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  --change "LABEL sysguard.recipe=$recipe_hash" \
  "$workdir/rootfs.tar" "$image" >/dev/null
# The image this one replaces is left untagged: remove it unless a container uses it.
if [ -n "$previous" ]; then podman rmi "$previous" >/dev/null 2>&1 || true; fi
echo "built $image"
