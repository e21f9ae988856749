#!/usr/bin/env bash
# Records the restic binary for the tests (restic is a program, not a server):
#   scripts/services/restic.sh start|stop|status
# `start` checks that Debian's restic runs and writes RESTIC_BINARY to
# $COFFER_SERVICES_DIR/restic.env; `stop` removes that file.

service=restic
service_without_processes=1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

binary=/usr/bin/restic

probe_service() {
  "$binary" version
}

start_service() {
  [ -x "$binary" ] || fail "missing $binary; install Debian's restic (scripts/ci-deps.sh)"
  local version
  version="$("$binary" version)" || fail "$binary version failed"

  write_env_file <<EOF2
export RESTIC_BINARY=$binary
EOF2
  say "$version"
}

stop_service() {
  rm -f "$env_file"
  rm -rf "$state_dir"
}

run_service_command "$@"
