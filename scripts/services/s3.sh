#!/usr/bin/env bash
# Starts or stops an S3-compatible server (s3rver from npm) over TLS on 127.0.0.1:
#   scripts/services/s3.sh start|stop|status
# Writes S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_BUCKET, S3_CA_FILE
# and NODE_EXTRA_CA_CERTS to $COFFER_SERVICES_DIR/s3.env.
#
# TLS is needed because restic's S3 client fails against s3rver over plain HTTP. The certificate
# is self-signed for the IP address 127.0.0.1 and generated at each start.

service=s3
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bucket=coffer-test
port_file="$state_dir/port"

probe_service() {
  . "$env_file"
  # Any HTTP status proves TLS and the server work; unsigned requests get 403 from s3rver.
  curl -s -o /dev/null --max-time 5 --cacert "$S3_CA_FILE" "$S3_ENDPOINT/"
}

start_service() {
  [ -f "$coffer_root/node_modules/s3rver/package.json" ] ||
    fail "missing node_modules/s3rver; run npm install in $coffer_root"

  # A P-256 key and an IP subject alternative name: Go (restic) ignores the common name.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$state_dir/key.pem" -out "$state_dir/cert.pem" 2>>"$log_file" ||
    fail "openssl could not create the TLS certificate; see $log_file"
  chmod 0600 "$state_dir/key.pem"
  chmod 0644 "$state_dir/cert.pem"

  mkdir -p "$state_dir/data"

  # `env` passes the settings to this one child only.
  spawn env \
    S3_SERVER_DIRECTORY="$state_dir/data" \
    S3_SERVER_CERT="$state_dir/cert.pem" \
    S3_SERVER_KEY="$state_dir/key.pem" \
    S3_SERVER_BUCKET="$bucket" \
    S3_SERVER_PORT_FILE="$port_file" \
    node --openssl-legacy-provider "$services_script_dir/s3_server.mjs"

  wait_until 30 "s3rver" test -s "$port_file"
  local port
  port="$(cat "$port_file")"
  wait_until 10 "s3rver on https://127.0.0.1:$port" \
    curl -s -o /dev/null --max-time 5 --cacert "$state_dir/cert.pem" "https://127.0.0.1:$port/"

  write_env_file <<EOF2
export S3_ENDPOINT=https://127.0.0.1:$port
export S3_REGION=us-east-1
export S3_ACCESS_KEY_ID=S3RVER
export S3_SECRET_ACCESS_KEY=S3RVER
export S3_BUCKET=$bucket
export S3_CA_FILE=$state_dir/cert.pem
export NODE_EXTRA_CA_CERTS=$state_dir/cert.pem
EOF2
  say "s3rver on https://127.0.0.1:$port, bucket $bucket"
}

stop_service() {
  stop_recorded_processes
  rm -f "$env_file"
  rm -rf "$state_dir"
}

run_service_command "$@"
