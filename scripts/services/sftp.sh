#!/usr/bin/env bash
# Starts or stops two OpenSSH servers on 127.0.0.1 for the tests:
#   scripts/services/sftp.sh start|stop|status
# - an SFTP server (internal-sftp) with a normal user (key and password) and a chrooted user;
# - a jump host that only forwards TCP to the SFTP server and offers no shell and no SFTP.
# Writes SFTP_* variables to $COFFER_SERVICES_DIR/sftp.env. Host keys and the client key are
# generated at each start. The machine's own sshd configuration and port 22 are not touched.

service=sftp
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sshd_binary=/usr/sbin/sshd
sftp_user=coffer-sftp
chroot_user=coffer-chroot
jump_user=coffer-jump

# sshd refuses a ChrootDirectory unless every folder of its path is owned by root and writable by
# no one else, which rules out anything under /tmp. For such services folders the chroot goes to
# /run/coffer-sftp-chroot-<hash>.
path_is_root_only() {
  local path="$1"
  while [ -n "$path" ] && [ "$path" != / ]; do
    if [ -e "$path" ]; then
      [ "$(stat -c %u "$path")" = 0 ] || return 1
      case "$(stat -c %A "$path")" in
        ?????w???? | ????????w?) return 1 ;;
      esac
    fi
    path="$(dirname "$path")"
  done
}

if path_is_root_only "$state_dir"; then
  chroot_dir="$state_dir/chroot"
else
  chroot_dir="/run/coffer-sftp-chroot-$(echo -n "$services_dir" | sha256sum | cut -c1-12)"
fi
chroot_writable=/upload

# Creates a system user without a login shell if it does not exist yet.
ensure_user() {
  local user="$1"
  if ! id -u "$user" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
  fi
}

# The system users and the normal user's password belong to the whole machine, and several
# services folders (one per developer or job) may run at once. So the password is created once,
# kept in this folder, and reused by every start, under this folder's lock.
users_dir=/var/lib/coffer-test-sftp

# Creates the three users if absent and makes sure the normal user's password is the stored one.
setup_users() {
  mkdir -p "$users_dir"
  chmod 0700 "$users_dir"
  (
    flock 8
    ensure_user "$sftp_user"
    ensure_user "$chroot_user"
    ensure_user "$jump_user"

    if [ ! -s "$users_dir/password" ]; then
      (umask 077 && random_secret >"$users_dir/password")
    fi
    # chpasswd reads the password on stdin, never in argv.
    echo "$sftp_user:$(cat "$users_dir/password")" | chpasswd

    # A `!` in /etc/shadow locks an account for key logins too when PAM is off, so the key-only
    # users get `*`: no valid password, but not locked.
    usermod -p '*' "$chroot_user"
    usermod -p '*' "$jump_user"
  ) 8>"$users_dir/lock"
}

# Prints the first 7 bytes that the SSH server on the port sends: `SSH-2.0` for a working server.
ssh_banner() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && head -c 7 <&3" 2>/dev/null
}

probe_service() {
  . "$env_file"
  [ "$(ssh_banner "$SFTP_PORT")" = SSH-2.0 ] && [ "$(ssh_banner "$SFTP_JUMP_PORT")" = SSH-2.0 ]
}

# Writes the configuration shared by both servers.
write_common_config() {
  local file="$1" port="$2" host_key="$3"
  cat >"$file" <<EOF
ListenAddress 127.0.0.1:$port
HostKey $host_key
PidFile $state_dir/$(basename "$file" .conf).pid
AuthorizedKeysFile $state_dir/authorized_keys
# StrictModes would reject keys and folders below a world-writable folder such as /tmp.
StrictModes no
# PAM needs a full login stack; with it off, sshd checks passwords against /etc/shadow itself.
UsePAM no
KbdInteractiveAuthentication no
PermitRootLogin no
X11Forwarding no
AllowAgentForwarding no
PermitTTY no
PrintMotd no
LogLevel VERBOSE
EOF
}

start_service() {
  [ -x "$sshd_binary" ] || fail "missing $sshd_binary; install Debian's openssh-server (scripts/ci-deps.sh)"

  setup_users

  # sshd needs its privilege separation folder; Debian creates it only when its service starts.
  mkdir -p /run/sshd
  chmod 0755 /run/sshd

  chmod 0755 "$services_dir" "$state_dir"

  # The client key (ed25519) is authorised for all three users.
  ssh-keygen -q -t ed25519 -N '' -C coffer-test-client -f "$state_dir/client_key"
  cp "$state_dir/client_key.pub" "$state_dir/authorized_keys"
  chmod 0644 "$state_dir/authorized_keys"

  ssh-keygen -q -t ed25519 -N '' -C coffer-test-sftp-host -f "$state_dir/host_key"
  ssh-keygen -q -t ed25519 -N '' -C coffer-test-jump-host -f "$state_dir/jump_host_key"

  local password
  password="$(cat "$users_dir/password")"

  local root="$state_dir/root"
  mkdir -p "$root"
  chown "$sftp_user:" "$root"
  chmod 0755 "$root"

  mkdir -p "$chroot_dir$chroot_writable"
  chown root:root "$chroot_dir"
  chmod 0755 "$chroot_dir"
  chown "$chroot_user:" "$chroot_dir$chroot_writable"

  local port jump_port
  port="$(free_port)"
  jump_port="$(free_port)"
  [ "$port" != "$jump_port" ] || jump_port="$(free_port)"

  write_common_config "$state_dir/sftp.conf" "$port" "$state_dir/host_key"
  cat >>"$state_dir/sftp.conf" <<EOF
AllowUsers $sftp_user $chroot_user
PubkeyAuthentication yes
PasswordAuthentication yes
AllowTcpForwarding no
Subsystem sftp internal-sftp
ForceCommand internal-sftp

Match User $chroot_user
  ChrootDirectory $chroot_dir
  PasswordAuthentication no
EOF

  # The jump host accepts only direct-tcpip channels to the SFTP server; a session request runs
  # nologin, which prints a refusal and exits.
  write_common_config "$state_dir/jump.conf" "$jump_port" "$state_dir/jump_host_key"
  cat >>"$state_dir/jump.conf" <<EOF
AllowUsers $jump_user
PubkeyAuthentication yes
PasswordAuthentication no
AllowTcpForwarding local
PermitOpen 127.0.0.1:$port
PermitListen none
AllowStreamLocalForwarding no
ForceCommand /usr/sbin/nologin
EOF

  "$sshd_binary" -t -f "$state_dir/sftp.conf" || fail "invalid sshd configuration $state_dir/sftp.conf"
  "$sshd_binary" -t -f "$state_dir/jump.conf" || fail "invalid sshd configuration $state_dir/jump.conf"

  # -D keeps sshd in the foreground so its pid is the recorded one; -e logs to the log file.
  spawn "$sshd_binary" -D -e -f "$state_dir/sftp.conf"
  spawn "$sshd_binary" -D -e -f "$state_dir/jump.conf"

  wait_until 20 "sshd on 127.0.0.1:$port" test "$(ssh_banner "$port")" = SSH-2.0
  wait_until 20 "jump sshd on 127.0.0.1:$jump_port" test "$(ssh_banner "$jump_port")" = SSH-2.0

  # A real key login over SFTP, through the jump host, proves users, keys and forwarding work.
  echo "127.0.0.1 $(cut -d' ' -f1,2 "$state_dir/host_key.pub")" >"$state_dir/known_hosts"
  echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$state_dir/host_key.pub")" >>"$state_dir/known_hosts"
  echo "[127.0.0.1]:$jump_port $(cut -d' ' -f1,2 "$state_dir/jump_host_key.pub")" >>"$state_dir/known_hosts"
  local ssh_options=(
    -o BatchMode=yes -o IdentitiesOnly=yes -o "IdentityFile=$state_dir/client_key"
    -o "UserKnownHostsFile=$state_dir/known_hosts" -o StrictHostKeyChecking=yes
    -o ConnectTimeout=10
  )
  # ProxyJump (-J) would not pass these options on to the jump connection; ProxyCommand does.
  local proxy_command="ssh ${ssh_options[*]} -p $jump_port -W %h:%p $jump_user@127.0.0.1"
  echo "ls $state_dir/root" | sftp "${ssh_options[@]}" -b - -P "$port" \
    -o "ProxyCommand=$proxy_command" "$sftp_user@127.0.0.1" >>"$log_file" 2>&1 ||
    fail "an SFTP login of $sftp_user through the jump host failed; see $log_file"

  write_env_file <<EOF
export SFTP_HOST=127.0.0.1
export SFTP_PORT=$port
export SFTP_USER=$sftp_user
export SFTP_KEY_FILE=$state_dir/client_key
export SFTP_PASSWORD=$password
export SFTP_HOST_KEY_FILE=$state_dir/host_key.pub
export SFTP_ROOT=$root
export SFTP_CHROOT_USER=$chroot_user
export SFTP_CHROOT_WRITABLE=$chroot_writable
export SFTP_JUMP_PORT=$jump_port
export SFTP_JUMP_USER=$jump_user
export SFTP_JUMP_HOST_KEY_FILE=$state_dir/jump_host_key.pub
EOF
  say "sshd on 127.0.0.1:$port, jump host on 127.0.0.1:$jump_port"
}

stop_service() {
  stop_recorded_processes
  rm -f "$env_file"
  rm -rf "$state_dir"
  if [ "$chroot_dir" != "$state_dir/chroot" ]; then
    rm -rf "$chroot_dir"
  fi
}

run_service_command "$@"
