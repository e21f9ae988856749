# Shared helpers for the test service scripts in this folder. Source it from a service script
# after setting `service` to the service's name (docker, sftp, s3, smtp, postgres, restic).
#
# Layout under $COFFER_SERVICES_DIR (default <repo>/tmp/services):
#   <name>.env       `export VAR=value` lines for the tests, written once the service responds
#   <name>/          state: configuration, keys, data, `pids`
#   logs/<name>.log  the service's output; kept after `stop` so a failed start can be read
#   <name>.lock      serialises start and stop of one service

set -euo pipefail

services_script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
coffer_root="$(cd "$services_script_dir/../.." && pwd)"

# The scripts run Node programs (s3rver, smtp-server), which need the project's Node 24.
# shellcheck source=../node-env.sh
. "$coffer_root/scripts/node-env.sh"

services_dir="${COFFER_SERVICES_DIR:-$coffer_root/tmp/services}"
mkdir -p "$services_dir" "$services_dir/logs"
services_dir="$(cd "$services_dir" && pwd)"

state_dir="$services_dir/$service"
env_file="$services_dir/$service.env"
log_file="$services_dir/logs/$service.log"
pids_file="$state_dir/pids"

# Prints a progress line prefixed with the service name.
say() {
  echo "$service: $*"
}

# Prints an error line and exits with status 1.
fail() {
  echo "$service: $*" >&2
  exit 1
}

# Takes the service's lock for the rest of the script, so two starts cannot race.
take_lock() {
  exec 9>"$services_dir/$service.lock"
  flock 9
}

# Prints a TCP port on 127.0.0.1 that nothing listens on. Another program may still take it
# before the service binds it; each start checks that its server really responds.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if [ -z "$(ss -Htln "sport = :$port")" ]; then
      echo "$port"
      return 0
    fi
  done
  fail "found no free TCP port between 20000 and 60000 on 127.0.0.1"
}

# Prints a random secret of 32 hexadecimal characters (128 bits).
random_secret() {
  openssl rand -hex 16
}

# Prints the start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), which
# together with the pid identifies it even after the pid is reused.
process_start_time() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # The command name (field 2) may contain spaces, so cut after its closing parenthesis.
  stat="${stat##*) }"
  echo "$stat" | awk '{ print $20 }'
}

# Records a started process (the leader of its own process group) in the pids file.
record_pid() {
  local start_time
  start_time="$(process_start_time "$1")" || fail "process $1 exited right after it started; see $log_file"
  echo "$1 $start_time" >>"$pids_file"
}

# Returns 0 when the recorded process still runs (same pid and start time).
recorded_process_alive() {
  local pid="$1" start_time="$2" current
  current="$(process_start_time "$pid")" || return 1
  [ "$current" = "$start_time" ]
}

# Returns 0 when every recorded process still runs.
# A service that runs no process (restic) sets service_without_processes=1.
all_recorded_alive() {
  [ "${service_without_processes:-0}" = 1 ] && return 0
  [ -s "$pids_file" ] || return 1
  local pid start_time
  while read -r pid start_time; do
    recorded_process_alive "$pid" "$start_time" || return 1
  done <"$pids_file"
}

# Sends SIGTERM to each recorded process group, waits up to 20 seconds, then sends SIGKILL to
# what is left. Processes whose pid was reused by another program are skipped.
stop_recorded_processes() {
  [ -f "$pids_file" ] || return 0
  local pid start_time
  local groups=()
  while read -r pid start_time; do
    if recorded_process_alive "$pid" "$start_time"; then
      groups+=("$pid")
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    fi
  done <"$pids_file"

  for _ in $(seq 1 200); do
    local running=0
    for pid in "${groups[@]}"; do
      if kill -0 -- "-$pid" 2>/dev/null; then
        running=1
      fi
    done
    [ "$running" -eq 0 ] && break
    sleep 0.1
  done

  for pid in "${groups[@]}"; do
    if kill -0 -- "-$pid" 2>/dev/null; then
      say "process group $pid ignored SIGTERM for 20 s; sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  done
  rm -f "$pids_file"
}

# Starts a command in the background as the leader of a new process group (setsid), with its
# output appended to the service log, and records its pid.
spawn() {
  # 9>&- closes the lock file, which the server would otherwise keep open, blocking `stop`.
  setsid "$@" </dev/null >>"$log_file" 2>&1 9>&- &
  local pid=$!
  # setsid forks only when the caller already leads a process group, which a background job of
  # this non-interactive shell does not; so $! is the group leader.
  sleep 0.05
  record_pid "$pid"
}

# Runs a probe command every 0.2 s until it succeeds, `seconds` pass, or a recorded process
# exits.
wait_until() {
  local seconds="$1" description="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ -s "$pids_file" ] && ! all_recorded_alive; then
      echo "$service: $description exited before it responded; last lines of $log_file:" >&2
      tail -n 30 "$log_file" >&2 || true
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$service: $description did not respond within $seconds s; last lines of $log_file:" >&2
      tail -n 30 "$log_file" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

# Unmounts every mount point under the given folder, deepest first.
unmount_under() {
  local root="$1" mount_point
  [ -d "$root" ] || return 0
  # Field 5 of mountinfo is the mount point, with spaces escaped as \040.
  awk -v root="$root/" 'index($5, root) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r mount_point; do
      umount "$mount_point" 2>/dev/null || umount -l "$mount_point" || true
    done
}

# Writes the .env file atomically from `export NAME=value` lines on stdin, mode 0600 because it
# may contain test passwords.
write_env_file() {
  local temporary="$env_file.tmp"
  (umask 077 && cat >"$temporary")
  mv "$temporary" "$env_file"
}

# Handles the command line shared by every service script: start, stop or status.
# Expects the functions start_service, stop_service and probe_service.
run_service_command() {
  local command="${1:-}"
  case "$command" in
    start)
      take_lock
      if [ -f "$env_file" ] && all_recorded_alive && probe_service >/dev/null 2>&1; then
        say "already running; reusing it ($env_file)"
        return 0
      fi

      # Clears what a previous run or a failed start left behind.
      stop_service >/dev/null 2>&1 || true
      mkdir -p "$state_dir"
      : >"$log_file"

      local started_at=$SECONDS
      # Bash ignores `set -e` in a command tested by `if`, so start_service runs as a background
      # subshell, where a failing command stops it, and `wait` returns its status.
      (start_service) &
      if ! wait $!; then
        echo "$service: start failed; stopping what it started (log: $log_file)" >&2
        stop_service || true
        return 1
      fi
      say "running after $((SECONDS - started_at)) s; variables in $env_file"
      ;;
    stop)
      take_lock
      stop_service
      say "stopped"
      ;;
    status)
      if [ -f "$env_file" ] && all_recorded_alive && probe_service >/dev/null 2>&1; then
        say "running ($env_file)"
        return 0
      fi
      say "not running"
      return 1
      ;;
    *)
      echo "usage: $0 start|stop|status" >&2
      return 2
      ;;
  esac
}
