#!/usr/bin/env bash
# Starts or stops every test service (docker, sftp, s3, smtp, postgres, restic):
#   scripts/services/all.sh start|stop|status
# `start` starts them in parallel and reuses those already running; `stop` stops whatever runs
# and clears what a failed start left. Both are safe to call again. Tests read the variables
# from $COFFER_SERVICES_DIR/<name>.env (default <repo>/tmp/services).
set -uo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
services=(docker sftp s3 smtp postgres restic)
command="${1:-}"

case "$command" in
  start | stop | status) ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac

started_at=$SECONDS
pids=()
for name in "${services[@]}"; do
  # Each script prefixes its own lines with its name, so parallel output stays readable.
  bash "$script_dir/$name.sh" "$command" &
  pids+=($!)
done

failed=()
for index in "${!services[@]}"; do
  if ! wait "${pids[$index]}"; then
    failed+=("${services[$index]}")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "all: $command failed for: ${failed[*]}" >&2
  exit 1
fi
echo "all: $command done for ${services[*]} in $((SECONDS - started_at)) s"
