#!/usr/bin/env bash
# Installs the Debian packages that Coffer's tests need and a fresh machine may lack. Safe to run
# again: it installs only what `dpkg -s` reports missing and runs `apt-get update` at most once.
# Needs root. Reads no stdin, so it runs unattended in CI.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" -ne 0 ]; then
  echo "ci-deps: must run as root to install Debian packages; rerun with sudo" >&2
  exit 1
fi

# Packages used by the test services and suites: the Docker daemon (docker.io), sshd and the
# ssh, sftp and ssh-keygen clients, restic, the busybox root filesystem for test images, openssl
# for the S3 certificate, curl for its readiness probe, chromium for browser tests, archive tools,
# unshare and setsid (util-linux), ss (iproute2), pgrep (procps) and setfattr (attr).
packages=(
  docker.io openssh-server openssh-client restic busybox-static openssl curl chromium zstd tar
  iproute2 util-linux procps attr ca-certificates putty-tools python3
)

# PostgreSQL: the machine may ship its binaries outside Debian's package (for example in
# /usr/local/bin), so the package is needed only when no initdb exists.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  packages+=(postgresql)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "ci-deps: all Debian packages present"
  exit 0
fi

echo "ci-deps: installing ${missing[*]}"

# Another helper or job may run apt at the same time; the lock file serialises them.
apt_lock=/tmp/coffer-apt.lock

flock "$apt_lock" apt-get update -q </dev/null

# docker.io (and openssh-server, postgresql) start a default daemon on install through
# invoke-rc.d. A policy-rc.d that exits 101 forbids that; it is removed again afterwards unless
# it existed before this script ran.
policy=/usr/sbin/policy-rc.d
policy_created=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  policy_created=1
fi

remove_policy() {
  if [ "$policy_created" -eq 1 ]; then
    rm -f "$policy"
  fi
}
trap remove_policy EXIT

flock "$apt_lock" apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}" </dev/null

echo "ci-deps: done"
