#!/usr/bin/env bash
# Starts or stops an SMTP server (smtp-server from npm) on 127.0.0.1 that stores every message
# it receives as one .eml file:
#   scripts/services/smtp.sh start|stop|status
# Writes SMTP_HOST, SMTP_PORT, SMTP_MAILBOX_DIR and SMTP_PASSWORD (accepted by AUTH PLAIN and
# AUTH LOGIN for any user name; mail without AUTH is accepted too) to $COFFER_SERVICES_DIR/smtp.env.

service=smtp
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

port_file="$state_dir/port"
mailbox_dir="$state_dir/mailbox"

probe_service() {
  . "$env_file"
  # The greeting of an SMTP server starts with the reply code 220.
  [ "$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SMTP_PORT && head -c 3 <&3")" = 220 ]
}

start_service() {
  [ -f "$coffer_root/node_modules/smtp-server/package.json" ] ||
    fail "missing node_modules/smtp-server; run npm install in $coffer_root"

  mkdir -p "$mailbox_dir"
  local password
  password="$(random_secret)"

  # `env` passes the settings, the password included, to this one child only.
  spawn env \
    SMTP_SERVER_MAILBOX_DIR="$mailbox_dir" \
    SMTP_SERVER_PASSWORD="$password" \
    SMTP_SERVER_PORT_FILE="$port_file" \
    node "$services_script_dir/smtp_server.mjs"

  wait_until 30 "smtp_server" test -s "$port_file"
  local port
  port="$(cat "$port_file")"

  write_env_file <<EOF2
export SMTP_HOST=127.0.0.1
export SMTP_PORT=$port
export SMTP_MAILBOX_DIR=$mailbox_dir
export SMTP_PASSWORD=$password
EOF2
  wait_until 10 "smtp_server on 127.0.0.1:$port" probe_service
  say "smtp-server on 127.0.0.1:$port, mailbox $mailbox_dir"
}

stop_service() {
  stop_recorded_processes
  rm -f "$env_file"
  rm -rf "$state_dir"
}

run_service_command "$@"
