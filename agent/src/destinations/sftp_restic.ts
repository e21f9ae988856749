import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ResticRepositoryLocation } from '@coffer/sdk'
import type { SftpDestinationConfig, SftpSecrets, SshCredentials, SshHostKeyPin } from './config.js'
import { DestinationError } from './destination_error.js'
import { formatHostKey, parseHostKey } from './host_key.js'
import { preparePrivateKey } from './ssh_private_key.js'

/** Host names, user names and paths that are safe to write into an ssh_config file unquoted. */
const SAFE_CONFIG_VALUE = /^[A-Za-z0-9._:@%+\-[\]]+$/
const SAFE_FILE_PATH = /^[A-Za-z0-9._/+-]+$/

/**
 * The helper files that let restic's `ssh` reach an SFTP destination: an ssh_config, a
 * known_hosts file built from the pinned host keys, the private keys, and an askpass script that
 * prints a password or passphrase from a file. They live in a private folder (mode 0700, files
 * 0600) and are removed by `remove`. The ssh command line contains only file paths.
 */
export class ResticSshFiles {
  #folder: string | null = null

  constructor(
    private readonly config: SftpDestinationConfig,
    private readonly secrets: SftpSecrets
  ) {}

  /** Writes the files on first use and returns restic's repository and `sftp.command` option. */
  async location(remotePath: string): Promise<ResticRepositoryLocation> {
    const folder = this.#folder ?? (await this.#write())
    const askpass = join(folder, 'askpass')
    const needsAskpass = this.#promptSecrets().length > 0
    const ssh = `ssh -F ${join(folder, 'ssh_config')} coffer-target -s sftp`
    const command = needsAskpass
      ? `env SSH_ASKPASS=${askpass} SSH_ASKPASS_REQUIRE=force ${ssh}`
      : ssh

    return {
      repository: `sftp:${this.config.username}@${this.config.host}:${remotePath}`,
      environment: {},
      options: [`sftp.command=${command}`],
    }
  }

  /** Deletes the private folder and everything in it. */
  async remove(): Promise<void> {
    const folder = this.#folder
    this.#folder = null
    if (folder) {
      await rm(folder, { recursive: true, force: true })
    }
  }

  async #write(): Promise<string> {
    const jump = this.config.jump
    const jumpCredentials = this.secrets.jump ?? this.secrets
    checkConfigValue('host', this.config.host)
    checkConfigValue('username', this.config.username)
    if (jump) {
      checkConfigValue('jump host', jump.host)
      checkConfigValue('jump username', jump.username ?? this.config.username)
    }

    const passwords = new Set(
      [this.secrets.password, jump ? jumpCredentials.password : undefined].filter(
        (value) => value !== undefined
      )
    )
    if (passwords.size > 1) {
      throw new DestinationError(
        'UNSUPPORTED',
        'restic over SFTP cannot use different passwords for the jump host and the target: use a private key for one of them'
      )
    }

    const folder = await mkdtemp(join(tmpdir(), 'coffer-ssh-'))
    await chmod(folder, 0o700)
    if (!SAFE_FILE_PATH.test(folder)) {
      await rm(folder, { recursive: true, force: true })
      throw new DestinationError(
        'UNSUPPORTED',
        `the temporary folder ${folder} contains characters that restic's sftp.command cannot carry: set TMPDIR to a plain path such as /tmp`
      )
    }

    this.#folder = folder
    const knownHosts = [`coffer-target ${pinnedKey(this.config, 'target')}`]
    const blocks = [
      await this.#hostBlock(
        folder,
        'target',
        this.config.host,
        this.config.port,
        this.config.username,
        this.secrets
      ),
    ]

    if (jump) {
      knownHosts.push(`coffer-jump ${pinnedKey(jump, 'jump')}`)
      const username = jump.username ?? this.config.username
      blocks.push(
        await this.#hostBlock(folder, 'jump', jump.host, jump.port, username, jumpCredentials)
      )
      blocks[0].push(`  ProxyCommand ssh -F ${join(folder, 'ssh_config')} -W %h:%p coffer-jump`)
    }

    await writePrivate(join(folder, 'known_hosts'), `${knownHosts.join('\n')}\n`)
    await writePrivate(
      join(folder, 'ssh_config'),
      `${blocks.map((block) => block.join('\n')).join('\n\n')}\n`
    )
    await this.#writeAskpass(folder)
    return folder
  }

  async #hostBlock(
    folder: string,
    role: 'target' | 'jump',
    host: string,
    port: number | undefined,
    username: string,
    credentials: SshCredentials
  ): Promise<string[]> {
    const lines = [
      `Host coffer-${role}`,
      `  HostName ${host}`,
      `  Port ${port ?? 22}`,
      `  User ${username}`,
      `  HostKeyAlias coffer-${role}`,
      `  UserKnownHostsFile ${join(folder, 'known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  CheckHostIP no',
      '  UpdateHostKeys no',
      '  IdentitiesOnly yes',
      `  ConnectTimeout ${Math.ceil((this.config.timeoutMs ?? 30_000) / 1000)}`,
      `  ServerAliveInterval ${Math.ceil((this.config.keepaliveIntervalMs ?? 10_000) / 1000)}`,
      '  ServerAliveCountMax 3',
      '  NumberOfPasswordPrompts 1',
    ]

    if (credentials.privateKey) {
      const keyFile = join(folder, `id_${role}`)
      const prepared = preparePrivateKey(credentials.privateKey, credentials.passphrase)
      await writePrivate(keyFile, prepared.text)
      lines.push(`  IdentityFile ${keyFile}`)
    } else {
      lines.push('  PubkeyAuthentication no')
    }

    if (credentials.password === undefined) {
      lines.push('  PasswordAuthentication no', '  KbdInteractiveAuthentication no')
    }

    return lines
  }

  /** Returns the secrets that ssh prompts for: key passphrases and the password. */
  #promptSecrets(): string[] {
    const jumpCredentials = this.config.jump ? (this.secrets.jump ?? this.secrets) : {}
    return [
      this.secrets.privateKey ? this.secrets.passphrase : undefined,
      jumpCredentials.privateKey ? jumpCredentials.passphrase : undefined,
      this.secrets.password,
      jumpCredentials.password,
    ].filter((value): value is string => value !== undefined && value !== '')
  }

  /**
   * Writes the askpass script. ssh passes its prompt as the first argument: a passphrase prompt
   * names the key file, and any other prompt is the password prompt.
   */
  async #writeAskpass(folder: string): Promise<void> {
    const jumpCredentials = this.secrets.jump ?? this.secrets
    const files: Record<string, string | undefined> = {
      target_passphrase: this.secrets.passphrase,
      jump_passphrase: jumpCredentials.passphrase,
      password: this.secrets.password ?? jumpCredentials.password,
    }

    for (const [name, value] of Object.entries(files)) {
      await writePrivate(join(folder, name), value ?? '')
    }

    const script = [
      '#!/bin/sh',
      'case "$1" in',
      `  *id_jump*) exec cat ${join(folder, 'jump_passphrase')} ;;`,
      `  *id_target*) exec cat ${join(folder, 'target_passphrase')} ;;`,
      `  *) exec cat ${join(folder, 'password')} ;;`,
      'esac',
      '',
    ].join('\n')
    await writeFile(join(folder, 'askpass'), script, { mode: 0o700 })
  }
}

function pinnedKey(pin: SshHostKeyPin, role: 'target' | 'jump'): string {
  const blob = pin.hostKey ? parseHostKey(pin.hostKey) : null
  if (blob === null) {
    throw new DestinationError(
      'INVALID_CONFIG',
      `restic needs the full public host key of the ${role} host, not only its fingerprint: run the destination's Test again and accept the key it shows`,
      { details: { hostRole: role } }
    )
  }

  return formatHostKey(blob)
}

function checkConfigValue(name: string, value: string): void {
  if (!SAFE_CONFIG_VALUE.test(value)) {
    throw new DestinationError(
      'INVALID_CONFIG',
      `the SFTP ${name} ${JSON.stringify(value)} contains spaces or special characters that an ssh_config cannot hold: use a plain host or user name`
    )
  }
}

async function writePrivate(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o600 })
  await chmod(path, 0o600)
}
