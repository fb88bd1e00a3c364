#!/usr/bin/env bash
# `make demo`: apply the example baseline (examples/baseline) to three local
# systemd containers, show the proof on the hosts, run it again, clean up.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
example="$repo/examples/baseline"
hosts=(demo-debian11 demo-debian12 demo-debian13)

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

report=$(mktemp -d /tmp/sysguard-demo-audit.XXXXXX)
cleanup() { podman rm -f "${hosts[@]}" >/dev/null 2>&1 || true; rm -rf "$report"; }
trap cleanup EXIT
cleanup

say "Starting three systemd containers: Debian 11, 12 and 13"
for host in "${hosts[@]}"; do
  podman run -d --name "$host" --hostname "$host" --systemd=always \
    "localhost/sysguard/debian-systemd:${host#demo-debian}" /sbin/init >/dev/null
done
for host in "${hosts[@]}"; do
  state=$(podman exec "$host" systemctl is-system-running --wait || true)
  echo "$host: systemd $(podman exec "$host" systemctl --version | head -1 | cut -d' ' -f2), $state"
done

say "The example inventory: group and host layers, one exception, a runtime mask"
(cd "$example/inventory" && tail -n +1 group_vars/*.yml host_vars/*.yml)

say "Applying the baseline"
ansible-playbook -i "$example/inventory" "$example/site.yml" --diff

say "Proof on demo-debian12: debug-shell.service is masked"
podman exec demo-debian12 systemctl status --no-pager debug-shell.service || true
podman exec demo-debian12 ls -l /etc/systemd/system/debug-shell.service

say "Proof on demo-debian12: systemd refuses to start it"
podman exec demo-debian12 systemctl start debug-shell.service || true

say "Proof on demo-debian12: ctrl-alt-del.target is masked under its own name; reboot.target still loads"
podman exec demo-debian12 systemctl show --property=Id,LoadState ctrl-alt-del.target reboot.target

say "Proof on demo-debian13: cron is masked until the next reboot, and stopped"
podman exec demo-debian13 systemctl show --property=LoadState,ActiveState,UnitFileState cron.service
podman exec demo-debian13 ls -l /run/systemd/system/cron.service

say "Proof on demo-debian13: the exception, ctrl-alt-del.target, was left alone"
podman exec demo-debian13 systemctl show --property=LoadState ctrl-alt-del.target

say "Applying the baseline again: nothing changes"
ansible-playbook -i "$example/inventory" "$example/site.yml" | tail -n 5

say "A typo caught: ngnix.service is no unit; with unknown_names=fail nothing is masked"
ansible -i "$example/inventory" demo-debian12 -o -m sysguard.systemd.mask \
  -a 'name=ngnix.service unknown_names=fail' 2>&1 | grep -o 'nothing was changed[^"]*' || true

say "Drift on demo-debian11, made by hand: cups.service unmasked, a stray runtime mask on bluetooth.service"
podman exec demo-debian11 sh -c 'systemctl unmask cups.service && systemctl mask --runtime bluetooth.service'

say "Auditing the three hosts against the baseline (changes nothing), reports in $report"
ansible-playbook -i "$example/inventory" sysguard.systemd.audit -e "masking_audit_report_dir=$report" >/dev/null
ls "$report"
cat "$report/masking-audit.md"

say "Cleaning up the containers"
