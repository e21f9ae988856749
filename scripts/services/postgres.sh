#!/usr/bin/env bash
# Starts or stops a private PostgreSQL cluster from the machine's binaries:
#   scripts/services/postgres.sh start|stop|status
# Listens on 127.0.0.1 (a free port) and on a unix socket in the state folder. Writes PG_HOST,
# PG_PORT, PG_USER, PG_PASSWORD and PG_DB_NAME to $COFFER_SERVICES_DIR/postgres.env; that user
# owns that database and logs in with a password (scram-sha-256).

service=postgres
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

database_user=coffer
database_name=coffer
data_dir="$state_dir/data"

# The socket file is <folder>/.s.PGSQL.<port>, and unix socket paths are limited to 107 bytes.
if [ "${#services_dir}" -le 64 ]; then
  socket_dir="$state_dir/socket"
else
  socket_dir="/tmp/coffer-postgres-$(echo -n "$services_dir" | sha256sum | cut -c1-12)"
fi

# Prints the folder of the newest PostgreSQL binaries: Debian's /usr/lib/postgresql/<major>/bin,
# else the folder of an `initdb` on PATH (such as /usr/local/bin).
find_bin_dir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
    return 0
  fi
  local initdb
  initdb="$(command -v initdb)" || return 1
  dirname "$(readlink -f "$initdb")"
}

bin_dir="$(find_bin_dir)" || bin_dir=

# Runs a PostgreSQL program as the postgres user: initdb and postgres refuse to run as root.
as_postgres() {
  runuser -u postgres -- "$@"
}

probe_service() {
  . "$env_file"
  "$bin_dir/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
}

start_service() {
  [ -n "$bin_dir" ] ||
    fail "no PostgreSQL binaries in /usr/lib/postgresql/*/bin or on PATH; install Debian's postgresql (scripts/ci-deps.sh)"
  id -u postgres >/dev/null 2>&1 ||
    fail "missing system user postgres; install Debian's postgresql-common (scripts/ci-deps.sh)"

  mkdir -p "$data_dir" "$socket_dir"
  chmod 0755 "$services_dir" "$state_dir"
  chown postgres: "$data_dir" "$socket_dir"
  chmod 0700 "$data_dir"

  # The superuser `postgres` logs in over the unix socket only, by peer authentication (as the
  # postgres system user); every TCP login needs a password.
  as_postgres "$bin_dir/initdb" -D "$data_dir" -U postgres --auth-local=peer \
    --auth-host=scram-sha-256 --encoding=UTF8 --no-locale >>"$log_file" 2>&1 ||
    fail "initdb failed on $data_dir; see $log_file"

  local port
  port="$(free_port)"

  # The postmaster writes its own log, as the postgres user.
  local server_log="$services_dir/logs/postgres-server.log"
  : >"$server_log"
  chown postgres: "$server_log"

  # pg_ctl starts the postmaster in the background; setsid gives it a process group of its own.
  setsid runuser -u postgres -- "$bin_dir/pg_ctl" -D "$data_dir" -l "$server_log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $socket_dir" start </dev/null >>"$log_file" 2>&1 9>&- ||
    fail "pg_ctl could not start PostgreSQL on 127.0.0.1:$port; see $server_log"
  record_pid "$(head -n 1 "$data_dir/postmaster.pid")"

  local password
  password="$(random_secret)"

  # The password travels in SQL on stdin, never in argv. The secret is hexadecimal, so it needs
  # no quoting.
  as_postgres "$bin_dir/psql" -X -q -v ON_ERROR_STOP=1 -h "$socket_dir" -p "$port" -U postgres \
    -d postgres >>"$log_file" 2>&1 <<SQL || fail "could not create role $database_user; see $log_file"
CREATE ROLE $database_user LOGIN PASSWORD '$password';
CREATE DATABASE $database_name OWNER $database_user;
SQL

  # A password login over TCP, the way the tests connect.
  PGPASSWORD="$password" "$bin_dir/psql" -X -q -h 127.0.0.1 -p "$port" -U "$database_user" \
    -d "$database_name" -c 'SELECT 1' >>"$log_file" 2>&1 ||
    fail "a password login as $database_user on 127.0.0.1:$port failed; see $log_file"

  write_env_file <<EOF2
export PG_HOST=127.0.0.1
export PG_PORT=$port
export PG_USER=$database_user
export PG_PASSWORD=$password
export PG_DB_NAME=$database_name
EOF2
  say "PostgreSQL $("$bin_dir/postgres" --version | awk '{ print $3 }') on 127.0.0.1:$port and $socket_dir"
}

stop_service() {
  if [ -n "$bin_dir" ] && [ -f "$data_dir/postmaster.pid" ]; then
    as_postgres "$bin_dir/pg_ctl" -D "$data_dir" -m fast -w -t 30 stop >>"$log_file" 2>&1 || true
  fi
  stop_recorded_processes
  rm -f "$env_file"
  rm -rf "$state_dir"
  if [ "$socket_dir" != "$state_dir/socket" ]; then
    rm -rf "$socket_dir"
  fi
}

run_service_command "$@"
