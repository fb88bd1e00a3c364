#!/usr/bin/env bash
# Build the collection tarball, prove it carries no test or build debris, write the
# example execution environment's build context from it (tools/check-ee.sh), install
# it into an empty collections path, render every module's and filter's docs from
# there, and lint the installed docs as the Ansible docsite does.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/.cache/package"
rm -rf "$out"
mkdir -p "$out/build" "$out/installed"

ansible-galaxy collection build --force --output-path "$out/build" "$repo" >/dev/null
tarball=$(ls "$out"/build/sysguard-systemd-*.tar.gz)
echo "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"

debris=$(tar -tzf "$tarball" | grep -E '(^|/)(\.cache|\.venv|\.git|\.ci|\.hypothesis|\.pytest_cache|__pycache__|tools|images|requirements|output)(/|$)|^(Makefile|\.pre-commit-config\.yaml)$|\.pyc$' || true)
if [ -n "$debris" ]; then
  echo "the tarball carries files that are not collection content:" >&2
  echo "$debris" >&2
  exit 1
fi

# The example execution environment installs this very tarball.
"$repo/tools/check-ee.sh" "$tarball"

ANSIBLE_COLLECTIONS_PATH="$out/installed" ansible-galaxy collection install --offline --force -p "$out/installed" "$tarball" >/dev/null
installed="$out/installed/ansible_collections/sysguard/systemd"
# Each plugin of the source tree, looked up in the installed tarball; plugins/<dir>
# holds plugins of one type, one documented plugin a file.
for kind in module:modules filter:filter; do
  type=${kind%%:*}
  for file in "$repo/plugins/${kind#*:}"/*.py; do
    name=$(basename "$file" .py)
    # ansible-doc exits 0 for a plugin it cannot find, so read what it returns.
    ANSIBLE_COLLECTIONS_PATH="$out/installed" ansible-doc -t "$type" --json "sysguard.systemd.$name" \
      | python -c '
import json, sys
kind, name = sys.argv[1:]
doc = json.load(sys.stdin).get(name) or {}
missing = [part for part in ("doc", "examples", "return") if not doc.get(part)]
if missing:
    sys.exit("%s %s from the installed tarball has no %s" % (kind, name, ", ".join(missing)))
print("installed tarball renders the docs, examples and return values of %s %s" % (kind, name))
' "$type" "sysguard.systemd.$name"
  done
done

# Plugin and role argument spec docs: schema, markup, and references, which may
# name only this collection and ansible.builtin (the collection has no dependencies);
# the generated RST goes through rstcheck.
ANSIBLE_COLLECTIONS_PATH="$out/installed" antsibull-docs lint-collection-docs \
  --plugin-docs --validate-collection-refs dependent --disallow-unknown-collection-refs \
  "$installed"
echo "antsibull-docs lint-collection-docs passes on the installed tarball"
