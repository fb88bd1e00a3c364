#!/usr/bin/env bash
# Build the systemd container image for one Debian release, unless an image built
# from this very recipe already exists.
#
#   images/build.sh 12        -> localhost/sysguard/debian-systemd:12
#
# The root file system comes from Debian's packages through mmdebstrap, so no image
# registry is needed. mmdebstrap picks its default Debian mirror when none is given,
# which keeps every host name out of this repository.
#
# Debian 14 is Debian testing (forky), which moves every day: its image is a
# snapshot of the suite as the mirror served it on the day of the build, and two
# machines can hold different systemd builds under the same tag. So that such a
# snapshot does not stay around unnoticed for good, the recipe of a moving suite
# includes the month it is built in: the first build in a new month takes a fresh
# snapshot (about a minute). The image's labels say which systemd it carries and
# the date of the suite's Release file it came from:
#   podman image inspect --format '{{ .Labels }}' localhost/sysguard/debian-systemd:14
# A moving suite's Release file is valid for a week only; a mirror that is a frozen
# copy serves it past that date and apt refuses it. For such a suite the date check
# is off (signatures are still checked): the suite-date label shows how old it is.
set -euo pipefail

release=${1:?usage: images/build.sh 11|12|13|14}
moving=""
case "$release" in
  11) suite=bullseye ;;
  12) suite=bookworm ;;
  13) suite=trixie ;;
  14) suite=forky moving=$(date -u +%Y-%m) ;;
  *) echo "images/build.sh: unknown Debian release '$release' (known: 11 12 13 14)" >&2; exit 2 ;;
esac

image="localhost/sysguard/debian-systemd:$release"

# What the scenarios need on every platform: systemd as PID 1 with D-Bus, Python for
# Ansible modules, a few real packaged units to mask (cron, ssh with its
# sshd.service alias), and for users' own managers: pam_systemd (which gives a
# lingering user's manager its XDG_RUNTIME_DIR), sudo and acl (become_user).
packages=systemd,systemd-sysv,dbus,python3,cron,openssh-server,sudo,libpam-systemd,acl

recipe=$(cat "$0"; echo "$suite $packages $moving")
recipe_hash=$(printf '%s' "$recipe" | sha256sum | cut -c1-16)

current=$(podman image inspect --format '{{ index .Labels "sysguard.recipe" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$recipe_hash" ]; then
  echo "$image is up to date (recipe $recipe_hash," \
    "$(podman image inspect --format '{{ index .Labels "sysguard.suite" }} of {{ index .Labels "sysguard.suite-date" }}, systemd {{ index .Labels "sysguard.systemd" }}' "$image"))"
  exit 0
fi

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

aptopts=()
if [ -n "$moving" ]; then aptopts=(--aptopt='Acquire::Check-Valid-Until "false"'); fi

echo "building $image from Debian $suite (recipe $recipe_hash)"
# The hooks run in the tree before mmdebstrap drops apt's lists: the second one keeps
# the Date of the suite's Release file, for the label.
# shellcheck disable=SC2016 # $1 is the tree, which mmdebstrap passes to the hook's own shell
SYSGUARD_BUILD_DIR=$workdir SYSGUARD_SUITE=$suite \
mmdebstrap --quiet --variant=minbase --include="$packages" "${aptopts[@]}" \
  --customize-hook='rm -f "$1/etc/machine-id" && touch "$1/etc/machine-id"' \
  --customize-hook='sed -n "s/^Date: //p" "$1"/var/lib/apt/lists/*_dists_"$SYSGUARD_SUITE"_InRelease > "$SYSGUARD_BUILD_DIR/suite-date"' \
  "$suite" "$workdir/rootfs.tar" </dev/null
suite_date=$(date -u -d "$(head -n1 "$workdir/suite-date")" +%Y-%m-%d)

# The systemd package version, from the tree's own dpkg database.
systemd_version=$(tar -xOf "$workdir/rootfs.tar" ./var/lib/dpkg/status |
  awk '/^Package: /{pkg=$2} /^Version: /{if (pkg == "systemd") print $2}')
if [ -z "$systemd_version" ]; then
  echo "images/build.sh: no systemd package in the Debian $suite tree" >&2
  exit 1
fi

previous=$(podman image inspect --format '{{ .Id }}' "$image" 2>/dev/null || true)
podman import \
  --change 'CMD ["/sbin/init"]' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  --change "LABEL sysguard.recipe=$recipe_hash" \
  --change "LABEL sysguard.suite=$suite" \
  --change "LABEL sysguard.systemd=$systemd_version" \
  --change "LABEL sysguard.suite-date=$suite_date" \
  --change "LABEL sysguard.built=$(date -u +%Y-%m-%d)" \
  "$workdir/rootfs.tar" "$image" >/dev/null
# The image this one replaces is left untagged: remove it unless a container uses it.
if [ -n "$previous" ]; then podman rmi "$previous" >/dev/null 2>&1 || true; fi
echo "built $image: Debian $suite of $suite_date, systemd $systemd_version"
