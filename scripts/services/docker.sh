#!/usr/bin/env bash
# Starts or stops a private Docker daemon (Debian's docker.io) for the tests:
#   scripts/services/docker.sh start|stop|status
# Writes DOCKER_SOCKET (unix socket path) and COFFER_TEST_IMAGE (a busybox image made with
# `docker import`, no registry involved) to $COFFER_SERVICES_DIR/docker.env.
#
# The daemon runs in its own network namespace (`unshare --net`) with --bridge=none and no
# iptables rules, so it cannot touch the host's network; containers must use `--network none`.
# Never run dockerd with --bridge=none in the host's namespace: it deletes an existing docker0.

service=docker
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

image_tag=coffer-test-busybox:latest

# Unix socket paths are limited to 107 bytes, and containerd puts its sockets under the exec
# root, so a long services folder moves the exec root and the daemon socket to /tmp.
if [ "${#services_dir}" -le 48 ]; then
  run_dir="$state_dir/run"
else
  run_dir="/tmp/coffer-docker-$(echo -n "$services_dir" | sha256sum | cut -c1-12)"
fi
socket="$run_dir/docker.sock"
exec_root="$run_dir/exec"
data_root="$state_dir/data"
pid_file="$run_dir/dockerd.pid"

# Prefer the client that ships with the daemon (same API version); any newer client negotiates.
docker_cli() {
  local binary=/usr/bin/docker
  [ -x "$binary" ] || binary=docker
  DOCKER_HOST="unix://$socket" "$binary" "$@"
}

probe_service() {
  docker_cli version --format '{{.Server.Version}}' && docker_cli image inspect "$image_tag"
}

# Starts dockerd with one storage driver and waits for its API; returns 1 if it does not come up.
start_daemon() {
  local driver="$1"
  mkdir -p "$run_dir" "$exec_root" "$data_root"
  rm -f "$socket" "$pid_file"

  spawn unshare --net --fork -- dockerd \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
    --data-root "$data_root" --exec-root "$exec_root" --pidfile "$pid_file" \
    -H "unix://$socket" --storage-driver "$driver" \
    --exec-opt native.cgroupdriver=cgroupfs --log-level warn

  wait_until 60 "dockerd (storage driver $driver)" docker_cli version
}

# Builds a root filesystem from Debian's static busybox and imports it as the test image.
import_busybox_image() {
  local busybox=/bin/busybox
  [ -x "$busybox" ] || fail "missing $busybox; install Debian's busybox-static (scripts/ci-deps.sh)"
  # ldd fails on a static executable; the image has no libraries for a dynamic one.
  if ldd "$busybox" >/dev/null 2>&1; then
    fail "$busybox is dynamically linked; install Debian's busybox-static (scripts/ci-deps.sh)"
  fi

  local rootfs="$state_dir/rootfs"
  rm -rf "$rootfs"
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/data" "$rootfs/proc" "$rootfs/sys" \
    "$rootfs/dev"
  chmod 1777 "$rootfs/tmp"
  cp "$busybox" "$rootfs/bin/busybox"
  local applet
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"

  tar --numeric-owner -C "$rootfs" -c . |
    docker_cli import --change 'CMD ["/bin/sh"]' - "$image_tag" >/dev/null
  rm -rf "$rootfs"
}

start_service() {
  command -v dockerd >/dev/null ||
    fail "dockerd not found; install Debian's docker.io (scripts/ci-deps.sh)"

  # dockerd 20.10 uses a system containerd listening on this socket instead of starting its own
  # under the exec root, so its containers would then live in that shared containerd.
  if [ -S /run/containerd/containerd.sock ]; then
    say "warning: /run/containerd/containerd.sock exists, so dockerd will use that containerd"
  fi

  # overlay2 is the fast driver, but some kernels and backing filesystems (overlay on overlay,
  # some container sandboxes) reject it. vfs copies whole layers and needs no kernel support.
  # COFFER_DOCKER_STORAGE_DRIVERS overrides the list of drivers to try, in order.
  local driver
  for driver in ${COFFER_DOCKER_STORAGE_DRIVERS:-overlay2 vfs}; do
    if start_daemon "$driver"; then
      break
    fi
    say "dockerd did not start with storage driver $driver; trying the next one"
    stop_daemon
    driver=
  done
  [ -n "$driver" ] ||
    fail "dockerd did not start with any storage driver of: ${COFFER_DOCKER_STORAGE_DRIVERS:-overlay2 vfs}; see $log_file"

  import_busybox_image

  write_env_file <<EOF
export DOCKER_SOCKET=$socket
export COFFER_TEST_IMAGE=$image_tag
EOF
  echo "$driver" >"$state_dir/storage-driver"
  say "dockerd listens on $socket (storage driver $driver)"
}

# Stops dockerd (which stops its containers and its containerd), then unmounts what it left.
stop_daemon() {
  if [ -f "$pid_file" ]; then
    local pid
    pid="$(cat "$pid_file")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  stop_recorded_processes

  # dockerd starts containerd in a process group of its own and stops it on a clean exit; after
  # a SIGKILL of dockerd it keeps running.
  local containerd_pid_file="$exec_root/containerd/containerd.pid"
  if [ -f "$containerd_pid_file" ]; then
    local containerd_pid
    containerd_pid="$(cat "$containerd_pid_file")"
    if grep -qa "$exec_root" "/proc/$containerd_pid/cmdline" 2>/dev/null; then
      kill -TERM "$containerd_pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        kill -0 "$containerd_pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$containerd_pid" 2>/dev/null || true
    fi
  fi

  # A containerd-shim outlives a killed dockerd and keeps its container running. The shims of this
  # daemon name its containerd socket; killing a container's first process (the init of its pid
  # namespace) ends the whole container.
  local shim_address="$exec_root/containerd/containerd.sock" shim child
  for shim in $(pgrep -f -- "-address $shim_address( |\$)" || true); do
    for child in $(pgrep -P "$shim" || true); do
      kill -KILL "$child" 2>/dev/null || true
    done
    kill -KILL "$shim" 2>/dev/null || true
  done

  # dockerd bind-mounts its network namespace at <exec-root>/netns/default; the folder cannot be
  # deleted while that mount exists. Container and layer mounts may remain after a SIGKILL.
  umount "$exec_root/netns/default" 2>/dev/null || true
  unmount_under "$run_dir"
  unmount_under "$state_dir"
}

stop_service() {
  stop_daemon
  rm -f "$env_file"
  rm -rf "$state_dir" "$run_dir"
}

run_service_command "$@"
