#!/usr/bin/env bash
# Build the collection tarball, prove it carries no test or build debris, install
# it into an empty collections path, and render every module's docs from there.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/.cache/package"
rm -rf "$out"
mkdir -p "$out/build" "$out/installed"

ansible-galaxy collection build --force --output-path "$out/build" "$repo" >/dev/null
tarball=$(ls "$out"/build/sysguard-systemd-*.tar.gz)
echo "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"

debris=$(tar -tzf "$tarball" | grep -E '(^|/)(\.cache|\.venv|\.git|\.ci|\.pytest_cache|__pycache__|tools|images|requirements|output)(/|$)|^Makefile$|\.pyc$' || true)
if [ -n "$debris" ]; then
  echo "the tarball carries files that are not collection content:" >&2
  echo "$debris" >&2
  exit 1
fi

ANSIBLE_COLLECTIONS_PATH="$out/installed" ansible-galaxy collection install --offline --force -p "$out/installed" "$tarball" >/dev/null
modules=$(cd "$repo/plugins/modules" && ls ./*.py | sed 's#^\./##; s#\.py$##')
for module in $modules; do
  # ansible-doc exits 0 for a module it cannot find, so read what it returns.
  ANSIBLE_COLLECTIONS_PATH="$out/installed" ansible-doc --json "sysguard.systemd.$module" \
    | python -c '
import json, sys
name, doc = sys.argv[1], json.load(sys.stdin).get(sys.argv[1]) or {}
missing = [part for part in ("doc", "examples", "return") if not doc.get(part)]
if missing:
    sys.exit("%s from the installed tarball has no %s" % (name, ", ".join(missing)))
print("installed tarball renders the docs, examples and return values of " + name)
' "sysguard.systemd.$module"
done
