/** A folder on the agent's host, in production a bind-mounted `/backups`. */
export interface LocalDestinationConfig {
  kind: 'local'
  /** Absolute path of the folder that contains the objects. Created when missing. */
  path: string
}

/** The host key pin of an SSH server. */
export interface SshHostKeyPin {
  /**
   * The server's public key as an OpenSSH line (`ssh-ed25519 AAAA...`), as the Test button
   * returns it. Needed for restic, which verifies the key through a known_hosts file.
   */
  hostKey?: string
  /** SHA256 fingerprint in OpenSSH format (`SHA256:...`), when only the fingerprint is known. */
  hostKeyFingerprint?: string
}

/** An SSH jump host that forwards the connection to the SFTP server. */
export interface SftpJumpHostConfig extends SshHostKeyPin {
  host: string
  /** Default 22. */
  port?: number
  /** Defaults to the target's username. */
  username?: string
}

/** An SFTP server reached with a private key or a password, optionally through a jump host. */
export interface SftpDestinationConfig extends SshHostKeyPin {
  kind: 'sftp'
  host: string
  /** Default 22. */
  port?: number
  username: string
  /** Absolute folder on the server (inside the chroot for chrooted accounts), such as `/upload/coffer`. */
  path: string
  jump?: SftpJumpHostConfig
  /** Milliseconds allowed for the SSH handshake and for each SFTP request. Default 30,000. */
  timeoutMs?: number
  /** Milliseconds between SSH keepalives; the connection drops after 3 unanswered. Default 10,000. */
  keepaliveIntervalMs?: number
}

/** An S3 bucket on AWS or on an S3-compatible server. */
export interface S3DestinationConfig {
  kind: 's3'
  bucket: string
  region: string
  /** Base URL of an S3-compatible server, such as `https://minio.example.com:9000`. */
  endpoint?: string
  /** Path-style addressing (`endpoint/bucket/key`). Default true with `endpoint`, false without. */
  forcePathStyle?: boolean
  /** Key prefix inside the bucket, such as `coffer/`. A missing trailing `/` is added. */
  prefix?: string
  /** PEM certificate of a private certificate authority that signed the endpoint's certificate. */
  caCertificate?: string
  /** Milliseconds allowed for each HTTP request (connect, and between bytes). Default 60,000. */
  timeoutMs?: number
}

/** Destination of backups, with one variant per driver. */
export type DestinationConfig = LocalDestinationConfig | SftpDestinationConfig | S3DestinationConfig

/** Credentials of an SSH host: a private key (with its passphrase) or a password. */
export interface SshCredentials {
  /** Private key in OpenSSH or PEM format. PuTTY `.ppk` keys are rejected with a conversion hint. */
  privateKey?: string
  passphrase?: string
  password?: string
}

/** Secrets of an SFTP destination; the jump host falls back to the target's credentials. */
export interface SftpSecrets extends SshCredentials {
  jump?: SshCredentials
}

/** Secrets of an S3 destination. */
export interface S3Secrets {
  accessKeyId?: string
  secretAccessKey?: string
  sessionToken?: string
}

/**
 * Secrets of a destination, kept apart from its configuration because the controller stores them
 * encrypted. Only the fields of the destination's kind are read.
 */
export type DestinationSecrets = SftpSecrets & S3Secrets
