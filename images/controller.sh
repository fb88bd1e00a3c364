#!/usr/bin/env bash
# Build the controller image that runs ansible-core 2.20 and later for
# tools/matrix.sh, unless an image built from this very recipe already exists.
#
#   images/controller.sh      -> localhost/sysguard/controller:13
#
# ansible-core 2.20 and later need Python 3.12 or newer on the controller, and
# Debian 12 has 3.11. Debian 13's packages give a Python 3.13 (which ansible-test
# of 2.20 and 2.21 supports) without building one: its root file system comes from
# mmdebstrap, like the systemd images (see images/build.sh), so no image registry
# is needed. The image holds only the tools; each ansible-core's venv lives in the
# checkout, under .cache/matrix/, and is built there by tools/matrix.sh.
#
# What is in it, and why:
# - python3-venv: the venvs, and ensurepip for ansible-test's offline pip bootstrap;
# - git: ansible-test wants the collection's files tracked by git;
# - util-linux, for nsenter: Molecule's podman driver and the podman connection
#   run `podman`, which tools/matrix.sh mounts as tools/host-podman, the
#   machine's own podman run in the machine's namespaces;
# - shellcheck: ansible-test's shellcheck sanity test, which is skipped with only
#   a warning where the program is missing.
set -euo pipefail

suite=trixie
image=localhost/sysguard/controller:13
packages=python3,python3-venv,git,util-linux,shellcheck,ca-certificates

recipe=$(cat "$0"; echo "$suite $packages")
recipe_hash=$(printf '%s' "$recipe" | sha256sum | cut -c1-16)

current=$(podman image inspect --format '{{ index .Labels "sysguard.recipe" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$recipe_hash" ]; then
  echo "$image is up to date (recipe $recipe_hash," \
    "$(podman image inspect --format 'Python {{ index .Labels "sysguard.python" }}' "$image"))"
  exit 0
fi

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

echo "building $image from Debian $suite (recipe $recipe_hash)"
mmdebstrap --quiet --variant=minbase --include="$packages" \
  "$suite" "$workdir/rootfs.tar" </dev/null

python_version=$(tar -xOf "$workdir/rootfs.tar" ./var/lib/dpkg/status |
  awk '/^Package: /{pkg=$2} /^Version: /{if (pkg == "python3") print $2}')
if [ -z "$python_version" ]; then
  echo "images/controller.sh: no python3 package in the Debian $suite tree" >&2
  exit 1
fi

previous=$(podman image inspect --format '{{ .Id }}' "$image" 2>/dev/null || true)
podman import --quiet \
  --change 'CMD ["/bin/bash"]' \
  --change "LABEL sysguard.recipe=$recipe_hash" \
  --change "LABEL sysguard.suite=$suite" \
  --change "LABEL sysguard.python=$python_version" \
  --change "LABEL sysguard.built=$(date -u +%Y-%m-%d)" \
  "$workdir/rootfs.tar" "$image" >/dev/null
# The image this one replaces is left untagged: remove it unless a container uses it.
if [ -n "$previous" ]; then podman rmi "$previous" >/dev/null 2>&1 || true; fi
echo "built $image: Debian $suite, Python $python_version"
