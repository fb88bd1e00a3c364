#!/usr/bin/env bash
# Run a command in the environment `make` gives its checks: the project's venv first
# on PATH, and this checkout found as the collection sysguard.systemd. The hooks in
# .pre-commit-config.yaml run through it, outside make.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$repo/.venv/bin/python" ] || [ ! -e "$repo/.cache/collections/ansible_collections/sysguard/systemd" ]; then
  echo "$(basename "$0"): no project venv or collection link; run \`make venv\` first" >&2
  exit 1
fi
export PATH="$repo/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$repo/.cache/collections"
exec "$@"
