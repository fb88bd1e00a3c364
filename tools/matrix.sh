#!/usr/bin/env bash
# The ansible-core matrix: the collection's sanity and unit tests with every
# ansible-core release it supports besides the project venv's own, and the mask
# Molecule scenario with the oldest and the newest of them as the controller.
#
#   tools/matrix.sh [VERSION...]     all of that (for every version by default),
#                                    then a summary of each step's result and time
#   tools/matrix.sh STEP VERSION...  one step: venv, sanity, unit or molecule
#   tools/matrix.sh pin VERSION...   re-pin requirements/ansible-core-VERSION.txt
#                                    from requirements/ansible-core-VERSION.in
#
# The versions are those with a requirements/ansible-core-VERSION.in. 2.19 is the
# project venv's (requirements/test.txt): `make sanity`, `make unit` and
# `make molecule` run it. Each version here has a venv of its own under
# .cache/matrix/VERSION/venv, rebuilt only when its pinned requirements change.
#
# Where each version runs: an ansible-core release supports a few Python versions
# on the controller (ansible-test's CONTROLLER_PYTHON_VERSIONS, listed below). One
# that supports this machine's Python (python3, or $PYTHON) runs on the machine;
# one that does not (2.20 and later need 3.12, Debian 12 has 3.11) runs in the
# Debian 13 controller image that images/controller.sh builds (Python 3.13), with
# the checkout mounted at the same path. There Molecule drives this machine's
# own podman, which tools/host-podman runs in the machine's namespaces.
#
# Nothing is skipped: a version that cannot run fails, and so does the whole run.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
self="$repo/tools/matrix.sh"
matrix="$repo/.cache/matrix"
# The machine's Python, by its real path: a venv first on PATH must not stand in for it.
python=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')
controller_image=localhost/sysguard/controller:13
controller_python=3.13
# The controller's home: ansible-test keeps its sanity tests' venvs there, pip its
# downloads, Molecule its state. Kept per machine like the images (and like
# ~/.ansible/test for the versions that run on the machine), so that a fresh
# clone rebuilds only the ansible-core venvs.
controller_home=${XDG_CACHE_HOME:-$HOME/.cache}/sysguard-systemd/controller-home
# The search path of commands run in the controller, after the venv's.
controller_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

export ANSIBLE_COLLECTIONS_PATH="$repo/.cache/collections"
# The machine's podman quirks, as the Makefile applies them (see podman-quirks.sh).
if [ -z "${CONTAINERS_CONF:-}" ]; then
  quirks=$(tools/podman-quirks.sh "$repo/.cache/containers.conf")
  if [ -n "$quirks" ]; then export CONTAINERS_CONF=$quirks; fi
fi

fail() {
  echo "matrix: $*" >&2
  exit 1
}

versions() {
  local file
  for file in requirements/ansible-core-*.in; do
    file=${file#requirements/ansible-core-}
    echo "${file%.in}"
  done | sort -V
}

# ansible-test's CONTROLLER_PYTHON_VERSIONS of each release.
controller_pythons() {
  case $1 in
    2.16|2.17) echo "3.10 3.11 3.12" ;;
    2.18|2.19) echo "3.11 3.12 3.13" ;;
    2.20|2.21) echo "3.12 3.13 3.14" ;;
    *) fail "ansible-core $1: the Python versions it supports on the controller are not known here" ;;
  esac
}

# Where ansible-core VERSION runs: "host" or "controller".
where() {
  local supported host
  supported=" $(controller_pythons "$1") "
  host=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  if [[ $supported == *" $host "* ]]; then
    echo host
  elif [[ $supported == *" $controller_python "* ]]; then
    echo controller
  else
    fail "ansible-core $1 supports Python${supported% } on the controller:" \
      "neither this machine's $host nor the controller image's $controller_python"
  fi
}

# For the Molecule step in the controller: the machine's podman, through
# tools/host-podman (see there why not podman's remote mode).
host_podman=

# Run a command where ansible-core VERSION runs, its venv first on PATH.
run() {
  local version=$1 location
  shift
  location=$(where "$version")
  local venv="$matrix/$version/venv"
  if [ "$location" = host ]; then
    PATH="$venv/bin:$PATH" "$@"
    return
  fi
  mkdir -p "$controller_home"
  # With the machine's podman, the home is at the same path as on the machine, so
  # that a file Ansible hands to podman (podman cp) is found there.
  local home=/root
  if [ -n "$host_podman" ]; then home=$controller_home; fi
  local args=(--rm --network host -v "$repo:$repo" -w "$repo" -v "$controller_home:$home"
    -e "HOME=$home" -e LC_ALL=C.UTF-8 -e ANSIBLE_COLLECTIONS_PATH -e "PATH=$venv/bin:$controller_path")
  # This machine's CA certificates, so that what it trusts for the package index
  # (a proxy's certificate included) is trusted in the container; its proxy settings.
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    args+=(-v /etc/ssl/certs:/etc/ssl/certs:ro -e PIP_CERT=/etc/ssl/certs/ca-certificates.crt)
  fi
  local var
  for var in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY PIP_INDEX_URL PIP_TRUSTED_HOST; do
    if [ -n "${!var:-}" ]; then args+=(-e "$var"); fi
  done
  if [ -n "$host_podman" ]; then
    # The machine's PID namespace, which nsenter in tools/host-podman needs.
    args+=(--privileged --pid host -v "$repo/tools/host-podman:/usr/local/bin/podman:ro"
      -e "SYSGUARD_HOST_PODMAN=$host_podman" -e "SYSGUARD_HOST_PID=$$")
    if [ -n "${CONTAINERS_CONF:-}" ]; then args+=(-e CONTAINERS_CONF); fi
  fi
  podman run "${args[@]}" "$controller_image" "$@"
}

# The Python a venv for VERSION is made from.
base_python() {
  local location
  location=$(where "$1")
  if [ "$location" = host ]; then echo "$python"; else echo /usr/bin/python3; fi
}

# The controller image, when VERSION runs there.
prepare() {
  local location
  location=$(where "$1")
  if [ "$location" = controller ]; then images/controller.sh; fi
}

pins_of() {
  [ -f "requirements/ansible-core-$1.in" ] \
    || fail "ansible-core $1 is not in the matrix (no requirements/ansible-core-$1.in)"
  [ -f "requirements/ansible-core-$1.txt" ] || fail "no requirements/ansible-core-$1.txt: run tools/matrix.sh pin $1"
  echo "requirements/ansible-core-$1.txt"
}

step_venv() {
  local version=$1 pins venv location base_py base stamp
  pins=$(pins_of "$version")
  location=$(where "$version")
  base_py=$(base_python "$version")
  prepare "$version"
  venv="$matrix/$version/venv"
  base=$(run "$version" "$base_py" -c 'import sys; print(sys.executable, sys.version.split()[0])')
  stamp="$(sha256sum < "$pins" | cut -c1-16) $location $base"
  if [ "$(cat "$venv/.installed" 2>/dev/null)" = "$stamp" ]; then
    echo "ansible-core $version: venv up to date ($location, Python ${base##* })"
    return
  fi
  echo "ansible-core $version: building its venv from $pins ($location, Python ${base##* })"
  rm -rf "$venv"
  run "$version" "$base_py" -m venv "$venv"
  run "$version" "$venv/bin/python" -m pip install -qq --disable-pip-version-check -r "$pins"
  echo "$stamp" > "$venv/.installed"
}

# A venv is there, and holds the ansible-core its pins name.
check_venv() {
  local pins found
  pins=$(pins_of "$1")
  [ -f "$matrix/$1/venv/.installed" ] || fail "ansible-core $1 has no venv: run tools/matrix.sh venv $1"
  prepare "$1"
  found=$(run "$1" python -c 'from ansible.release import __version__; print(__version__)')
  grep -qx "ansible-core==$found" "$pins" || fail "ansible-core $1: its venv has ansible-core $found, not what $pins pins"
  echo "ansible-core $found ($(where "$1"))"
}

step_sanity() {
  check_venv "$1"
  run "$1" env SYSGUARD_SANITY_DIR="$matrix/$1/sanity" tools/sanity.sh
}

step_unit() {
  check_venv "$1"
  run "$1" python -m pytest -p no:cacheprovider tests/unit
}

step_molecule() {
  local location
  check_venv "$1"
  location=$(where "$1")
  if [ "$location" = controller ]; then host_podman=$(command -v podman); fi
  run "$1" molecule test -s mask
}

step_pin() {
  local version=$1 work="$matrix/pin-$1" base_py base
  [ -f "requirements/ansible-core-$version.in" ] || fail "no requirements/ansible-core-$version.in"
  base_py=$(base_python "$version")
  prepare "$version"
  base=$(run "$version" "$base_py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  rm -rf "$work"
  run "$version" "$base_py" -m venv "$work"
  run "$version" "$work/bin/python" -m pip install -q --disable-pip-version-check -r "requirements/ansible-core-$version.in"
  {
    echo "# Generated by \`tools/matrix.sh pin $version\` from requirements/ansible-core-$version.in"
    echo "# with Python $base, where tools/matrix.sh runs ansible-core $version; do not edit."
    run "$version" "$work/bin/python" -m pip freeze --disable-pip-version-check
  } > "requirements/ansible-core-$version.txt.new"
  mv "requirements/ansible-core-$version.txt.new" "requirements/ansible-core-$version.txt"
  rm -rf "$work"
  echo "pinned requirements/ansible-core-$version.txt"
}

step=${1:-all}
case $step in
  venv|sanity|unit|molecule|pin)
    shift
    [ $# -gt 0 ] || fail "usage: tools/matrix.sh $step VERSION..."
    for version in "$@"; do
      case $step in
        venv) step_venv "$version" ;;
        sanity) step_sanity "$version" ;;
        unit) step_unit "$version" ;;
        molecule) step_molecule "$version" ;;
        pin) step_pin "$version" ;;
      esac
    done
    exit 0
    ;;
  all) shift || true ;;
  2.*) ;;
  *) fail "unknown step '$step' (venv, sanity, unit, molecule, pin; or versions to run all of them)" ;;
esac

mapfile -t every < <(versions)
[ "${#every[@]}" -gt 0 ] || fail "no requirements/ansible-core-*.in"
if [ $# -gt 0 ]; then chosen=("$@"); else chosen=("${every[@]}"); fi
oldest=${every[0]}
newest=${every[-1]}

results=()
failed=0
# Each step runs as a process of its own, so that `set -e` holds in it and one
# failing step does not hide the result of the others.
timed() {
  local step=$1 version=$2 start status=0 took
  start=$(date +%s)
  echo "=== ansible-core $version: $step"
  "$self" "$step" "$version" || status=$?
  took=$(($(date +%s) - start))
  if [ "$status" = 0 ]; then
    results+=("passed  $version $step (${took} s)")
  else
    results+=("FAILED  $version $step (exit $status, ${took} s)")
    failed=1
  fi
}

for version in "${chosen[@]}"; do
  timed venv "$version"
done
for version in "${chosen[@]}"; do
  timed sanity "$version"
  timed unit "$version"
done
for version in "${chosen[@]}"; do
  if [ "$version" = "$oldest" ] || [ "$version" = "$newest" ]; then
    timed molecule "$version"
  fi
done

echo "=== ansible-core matrix: summary"
printf '%s\n' "${results[@]}"
exit "$failed"
