#!/usr/bin/env bash
# Run `ansible-test sanity` on the collection, offline.
#
# ansible-test insists on two things a plain checkout does not give it: the tree must
# sit at .../ansible_collections/sysguard/systemd/, and its files must be tracked by
# git. So the files git would ship (tracked and new, not ignored) are copied into such
# a path with a throwaway git index of their own.
#
# Its pip bootstrap downloads a get-pip script from a host we cannot reach; a
# stand-in that uses the interpreter's own ensurepip does the same job.
#
# Sanity ignore files (tests/sanity/ignore-*.txt) are deliberately absent.
#
# It runs the ansible-test of the `python` first on PATH: the project venv's for
# `make sanity`; tools/matrix.sh puts another ansible-core's venv first and gives
# each its own SYSGUARD_SANITY_DIR, so that several can run at once.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=${SYSGUARD_SANITY_DIR:-$repo/.cache/sanity}
tree="$work/ansible_collections/sysguard/systemd"

pip_version=$(python - <<'PY'
import pathlib, re, ansible_test
source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", source.read_text()).group(1))
PY
)
standin="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -f "$standin" ]; then
  mkdir -p "$(dirname "$standin")"
  cat > "$standin" <<'PY'
"""Offline stand-in for the get-pip script that ansible-test downloads."""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
PY
fi

rm -rf "$tree"
mkdir -p "$tree"
cd "$repo"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' file; do if [ -e "$file" ]; then printf '%s\0' "$file"; fi; done \
  | tar --null --files-from=- -cf - | tar -xf - -C "$tree"
cd "$tree"
git init -q
git add -A
# Only the venv's Python: other pythonX.Y found on PATH may be shims that do not run
# (pyenv), and the modules' own Python range is proven on the Debian 11 (3.9) and
# Debian 13 (3.13) containers by Molecule.
python_version=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
exec ansible-test sanity --local --color=no --python "$python_version" "$@"
