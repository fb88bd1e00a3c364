#!/usr/bin/env bash
# Check the example execution environment (examples/execution-environment/) against
# the collection tarball: `ansible-builder create` writes its build context, and the
# context is checked for what the image build would need. The build itself needs an
# EE base image, which cannot be pulled here, so it is not run; instead the two
# stages that need no base image are replayed on this machine from the context:
# the galaxy stage's `ansible-galaxy collection install`, and the builder stage's
# introspection of the installed collection's meta/execution-environment.yml.
#
# Usage: tools/check-ee.sh [TARBALL]   (default: the one `make package` built)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
example="$repo/examples/execution-environment"
work="$repo/.cache/ee"
# The name the example's additional_build_files and requirements.yml give the tarball.
tarball_name=sysguard-systemd.tar.gz

fail() {
  echo "check-ee: $*" >&2
  exit 1
}

command -v ansible-builder >/dev/null || fail "ansible-builder is not installed (requirements/test.txt pins it)"

if [ $# -gt 0 ]; then
  tarball=$1
else
  shopt -s nullglob
  built=("$repo"/.cache/package/build/sysguard-systemd-*.tar.gz)
  shopt -u nullglob
  [ ${#built[@]} -eq 1 ] || fail "expected one tarball in .cache/package/build/, found ${#built[@]}: run make package first"
  tarball=${built[0]}
fi
[ -f "$tarball" ] || fail "no collection tarball at $tarball"

rm -rf "$work"
mkdir -p "$work"

# 1. The definition, with the tarball where the docs tell users to put it.
cp -r "$example" "$work/definition"
rm -f "$work/definition/$tarball_name"
cp "$tarball" "$work/definition/$tarball_name"

# 2. ansible-builder create. It only warns when an additional build file is
# missing, so its output is read too.
if ! ansible-builder create -f "$work/definition/execution-environment.yml" \
    -c "$work/context" --output-filename Containerfile -v2 >"$work/create.log" 2>&1; then
  cat "$work/create.log" >&2
  fail "ansible-builder create failed"
fi
if grep -Ei 'warning|no matches|does not exist' "$work/create.log" >&2; then
  fail "ansible-builder create warned (above); see $work/create.log"
fi
echo "ansible-builder $(ansible-builder --version) create wrote the build context"

# 3. The context and its Containerfile; 4. the galaxy stage, replayed; 5. the
# builder stage's introspection, replayed; 6. the ansible-core pin.
python - "$repo" "$work" "$tarball" "$tarball_name" <<'PY'
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import yaml
from ansible.release import __version__ as controller_core
from packaging.specifiers import SpecifierSet
from packaging.version import Version

repo, work, tarball, tarball_name = sys.argv[1:5]
context = os.path.join(work, "context")
build = os.path.join(context, "_build")
definition_dir = os.path.join(work, "definition")
problems = []


def check(condition, message):
    if not condition:
        problems.append(message)
    return condition


def stop_if_failed():
    if problems:
        sys.exit("check-ee: " + "\ncheck-ee: ".join(problems))


def read_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def requirement_lines(text):
    """The lines introspection keeps: no blank lines, no comments."""
    lines = []
    for line in text.splitlines():
        line = re.sub(r"(?:^|\s+)#.*$", "", line).strip()
        if line:
            lines.append(line)
    return lines


definition = read_yaml(os.path.join(definition_dir, "execution-environment.yml"))
check(definition.get("version") == 3, "the example is not ansible-builder schema version 3")
dependencies = definition.get("dependencies") or {}

# 3. The build context.
containerfile_path = os.path.join(context, "Containerfile")
if not check(os.path.isfile(containerfile_path), "ansible-builder create wrote no Containerfile"):
    stop_if_failed()
with open(containerfile_path, encoding="utf-8") as handle:
    containerfile = handle.read()

context_tarball = os.path.join(build, "collections", tarball_name)
if check(os.path.isfile(context_tarball),
         "the build context has no collections/%s (additional_build_files)" % tarball_name):
    check(filecmp.cmp(context_tarball, tarball, shallow=False),
          "the build context's %s is not the tarball under test" % tarball_name)
galaxy_file = dependencies.get("galaxy")
check(galaxy_file == "requirements.yml", "the example's dependencies.galaxy is not requirements.yml")
context_requirements = os.path.join(build, "requirements.yml")
if check(os.path.isfile(context_requirements), "the build context has no requirements.yml"):
    check(filecmp.cmp(context_requirements, os.path.join(definition_dir, "requirements.yml"), shallow=False),
          "the build context's requirements.yml differs from the example's")
    wanted = read_yaml(context_requirements).get("collections") or []
    check([item.get("name") for item in wanted if item.get("type") == "file"]
          == ["collections/" + tarball_name],
          "requirements.yml does not install the collection from collections/%s" % tarball_name)
for script in ("introspect.py", "assemble", "install-from-bindep", "check_galaxy", "check_ansible"):
    check(os.path.isfile(os.path.join(build, "scripts", script)), "the build context has no scripts/" + script)

base = re.search(r'^ARG EE_BASE_IMAGE="([^"]*)"', containerfile, re.M)
if check(base, "the Containerfile has no EE_BASE_IMAGE argument"):
    check(base.group(1) == definition["images"]["base_image"]["name"],
          "the Containerfile's base image is not the example's")
    check(base.group(1).startswith("localhost/"),
          "the example's base image %s is not a local placeholder" % base.group(1))
refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile, re.M)
core_pin = (dependencies.get("ansible_core") or {}).get("package_pip", "")
runner_pin = (dependencies.get("ansible_runner") or {}).get("package_pip", "")
if check(refs, "the Containerfile installs no ansible-core/ansible-runner"):
    check(refs.group(1).split() == [core_pin, runner_pin],
          "the Containerfile installs %r, the example pins %r and %r" % (refs.group(1), core_pin, runner_pin))
for pattern, what in (
        (r"^COPY _build /build$", "copies the context's _build to /build"),
        (r"^WORKDIR /build$", "works in /build"),
        (r"^RUN .*ansible-galaxy collection install .*-r requirements\.yml "
         r"--collections-path \"/usr/share/ansible/collections\"$", "installs requirements.yml's collections"),
        (r"^RUN \$PYCMD /output/scripts/introspect\.py introspect ", "reads the collections' dependencies"),
        (r"^RUN /output/scripts/install-from-bindep", "installs what introspection found"),
):
    check(re.search(pattern, containerfile, re.M), "the Containerfile no longer " + what)
stop_if_failed()

# What the tarball says the collection needs in an EE.
try:
    archive = tarfile.open(tarball)
    names = set(archive.getnames())
except (OSError, EOFError, tarfile.TarError) as exc:
    sys.exit("check-ee: cannot read the tarball %s: %s" % (tarball, exc))
with archive:

    def member_text(name):
        return archive.extractfile(name).read().decode("utf-8")

    if not check("meta/execution-environment.yml" in names, "the tarball has no meta/execution-environment.yml"):
        stop_if_failed()
    ee_meta = yaml.safe_load(member_text("meta/execution-environment.yml"))
    expected = {}
    for kind in ("python", "system"):
        path = (ee_meta.get("dependencies") or {}).get(kind)
        if check(path, "meta/execution-environment.yml names no %s requirements file" % kind) and \
                check(path in names, "the tarball lacks %s, which meta/execution-environment.yml names" % path):
            expected[kind] = requirement_lines(member_text(path))
    galaxy_meta = json.loads(member_text("MANIFEST.json"))["collection_info"]
stop_if_failed()

# 4. The galaxy stage: its collection install, from the context's _build as /build.
image_root = os.path.join(work, "image")
collections_path = os.path.join(image_root, "usr", "share", "ansible", "collections")
env = dict(os.environ, ANSIBLE_GALAXY_DISABLE_GPG_VERIFY="1", ANSIBLE_COLLECTIONS_PATH=collections_path)
result = subprocess.run(
    ["ansible-galaxy", "collection", "install", "-r", "requirements.yml", "--collections-path", collections_path],
    cwd=build, env=env, capture_output=True, text=True, check=False)
if result.returncode != 0:
    sys.exit("check-ee: the galaxy stage's install failed:\n" + result.stdout + result.stderr)
installed = os.path.join(collections_path, "ansible_collections", "sysguard", "systemd")
with open(os.path.join(installed, "MANIFEST.json"), encoding="utf-8") as handle:
    installed_version = json.load(handle)["collection_info"]["version"]
check(installed_version == galaxy_meta["version"],
      "the galaxy stage installed sysguard.systemd %s, the tarball is %s" % (installed_version, galaxy_meta["version"]))
print("galaxy stage (replayed here): ansible-galaxy installed sysguard.systemd %s from requirements.yml"
      % installed_version)


# 5. The builder stage's introspection, with the context's own introspect.py.
def introspect(folder):
    result = subprocess.run(
        [sys.executable, os.path.join(build, "scripts", "introspect.py"), "introspect", folder],
        capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit("check-ee: introspection of %s failed:\n%s%s" % (folder, result.stdout, result.stderr))
    found = yaml.safe_load(result.stdout[result.stdout.index("---"):])
    return found.get("python") or [], found.get("system") or []


def ours(lines):
    return [line for line in lines if line.endswith("# from collection sysguard.systemd")]


python_deps, system_deps = introspect(os.path.join(image_root, "usr", "share", "ansible", "collections"))
for kind, found in (("python", python_deps), ("system", system_deps)):
    check([line.split("  # from collection")[0] for line in ours(found)] == expected[kind],
          "introspection found %s requirements %r for sysguard.systemd; its meta files say %r"
          % (kind, ours(found), expected[kind]))

# A probe that cannot pass unless introspection reads the files that the installed
# meta/execution-environment.yml names: with empty files, the check above alone
# would also pass if the meta file were ignored.
probe_root = os.path.join(work, "probe")
probe = os.path.join(probe_root, "ansible_collections", "sysguard", "systemd")
shutil.copytree(installed, probe)
probe_meta = read_yaml(os.path.join(probe, "meta", "execution-environment.yml"))["dependencies"]
probe_lines = {"python": "sysguard-ee-probe==0.0.1", "system": "sysguard-ee-probe [platform:rpm]"}
for kind, line in probe_lines.items():
    with open(os.path.join(probe, probe_meta[kind]), "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
probe_python, probe_system = introspect(probe_root)
for kind, found in (("python", probe_python), ("system", probe_system)):
    check(probe_lines[kind] + "  # from collection sysguard.systemd" in found,
          "introspection did not pick up a %s requirement added to %s: it does not read "
          "meta/execution-environment.yml" % (kind, probe_meta[kind]))
stop_if_failed()
print("builder stage (replayed here): introspection reads meta/execution-environment.yml; "
      "sysguard.systemd adds %d Python and %d system requirements" % (len(expected["python"]), len(expected["system"])))

# 6. The ansible-core pin: a release the collection claims, and the one `make test` ran.
pin = re.fullmatch(r"ansible-core==(\S+)", core_pin)
if check(pin, "the example pins ansible-core as %r, not as ansible-core==VERSION" % core_pin):
    requires = read_yaml(os.path.join(repo, "meta", "runtime.yml"))["requires_ansible"]
    check(Version(pin.group(1)) in SpecifierSet(requires),
          "the example pins ansible-core %s, outside meta/runtime.yml's requires_ansible %s" % (pin.group(1), requires))
    check(pin.group(1) == controller_core,
          "the example pins ansible-core %s, but these checks run %s: pin the release make test runs"
          % (pin.group(1), controller_core))
stop_if_failed()
print("the example pins ansible-core %s (meta/runtime.yml: %s) and %s" % (pin.group(1), requires, runner_pin))
PY
echo "execution environment example checked (the image build is not run here: no base image can be pulled)"
