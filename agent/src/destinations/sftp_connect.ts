// ssh2 is CommonJS; Node's ESM loader exposes only its default export.
import ssh2 from 'ssh2'
import type { Client, ConnectConfig, SFTPWrapper } from 'ssh2'
import type { Duplex } from 'node:stream'
import type { SftpDestinationConfig, SftpSecrets, SshCredentials, SshHostKeyPin } from './config.js'
import { DestinationError, errorMessage } from './destination_error.js'
import {
  formatHostKey,
  hostKeyFingerprint,
  normalizeFingerprint,
  parseHostKey,
} from './host_key.js'
import { preparePrivateKey } from './ssh_private_key.js'

/** Default milliseconds for the SSH handshake and for each SFTP request. */
export const DEFAULT_SFTP_TIMEOUT_MS = 30_000

/** Default milliseconds between keepalives; three unanswered ones drop the connection. */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 10_000

/** An open SSH connection (through the jump host when configured) with its SFTP channel. */
export interface SftpConnection {
  client: Client
  jump?: Client
  sftp: SFTPWrapper
  /** Closes the SFTP channel and both SSH connections. */
  end(): void
}

interface HostTarget {
  role: 'target' | 'jump'
  host: string
  port: number
  username: string
  pin: SshHostKeyPin
  credentials: SshCredentials
}

/** Opens an SSH connection and an SFTP channel, verifying each host key against its pin. */
export async function connectSftp(
  config: SftpDestinationConfig,
  secrets: SftpSecrets
): Promise<SftpConnection> {
  const target: HostTarget = {
    role: 'target',
    host: config.host,
    port: config.port ?? 22,
    username: config.username,
    pin: config,
    credentials: secrets,
  }

  let jump: Client | undefined
  let sock: Duplex | undefined
  if (config.jump) {
    const jumpTarget: HostTarget = {
      role: 'jump',
      host: config.jump.host,
      port: config.jump.port ?? 22,
      username: config.jump.username ?? config.username,
      pin: config.jump,
      credentials: secrets.jump ?? secrets,
    }
    jump = await connectHost(jumpTarget, config)
    sock = await forwardTo(jump, target).catch((error) => {
      jump?.end()
      throw error
    })
  }

  let client: Client
  try {
    client = await connectHost(target, config, sock)
  } catch (error) {
    jump?.end()
    throw error
  }

  if (jump) {
    // A dropped jump connection takes the forwarded channel with it; end the target too.
    const jumpClient = jump
    jumpClient.on('close', () => client.end())
    client.on('close', () => jumpClient.end())
  }

  const sftp = await openSftp(client, target).catch((error) => {
    client.end()
    jump?.end()
    throw error
  })

  // Failures after the handshake reach the pending requests' callbacks; without a listener, the
  // 'error' event of a dropped connection would crash the process.
  const ignore = () => undefined
  client.on('error', ignore)
  jump?.on('error', ignore)
  sftp.on('error', ignore)

  return {
    client,
    jump,
    sftp,
    end() {
      sftp.end()
      client.end()
      jump?.end()
    },
  }
}

function connectHost(target: HostTarget, config: SftpDestinationConfig, sock?: Duplex) {
  const where = `${target.host}:${target.port}`
  const credentials = target.credentials
  let presentedKey: Buffer | undefined

  const connectConfig: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.username,
    readyTimeout: config.timeoutMs ?? DEFAULT_SFTP_TIMEOUT_MS,
    keepaliveInterval: config.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: 3,
    tryKeyboard: credentials.password !== undefined,
    hostVerifier: (key: Buffer) => {
      presentedKey = key
      return matchesPin(key, target.pin)
    },
  }

  if (sock) {
    connectConfig.sock = sock
  }

  if (credentials.privateKey) {
    const prepared = preparePrivateKey(credentials.privateKey, credentials.passphrase)
    connectConfig.privateKey = prepared.text
    connectConfig.passphrase = prepared.passphrase
  }

  if (credentials.password !== undefined) {
    connectConfig.password = credentials.password
  }

  if (!credentials.privateKey && credentials.password === undefined) {
    throw new DestinationError(
      'INVALID_CONFIG',
      `no private key or password is set for ${target.username}@${where}: add one in the destination settings`,
      { details: { host: where, hostRole: target.role } }
    )
  }

  return new Promise<Client>((resolve, reject) => {
    const client = new ssh2.Client()
    let settled = false

    client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
      finish(prompts.map(() => credentials.password ?? ''))
    })
    client.once('ready', () => {
      settled = true
      resolve(client)
    })
    client.on('error', (error) => {
      if (settled) {
        return
      }

      settled = true
      client.end()
      reject(connectError(error, target, presentedKey))
    })
    client.once('close', () => {
      if (!settled) {
        settled = true
        reject(
          new DestinationError(
            'HOST_UNREACHABLE',
            `the connection to ${where} closed during the SSH handshake`,
            {
              details: { host: where, hostRole: target.role },
            }
          )
        )
      }
    })
    client.connect(connectConfig)
  })
}

function matchesPin(key: Buffer, pin: SshHostKeyPin): boolean {
  if (pin.hostKey) {
    const pinned = parseHostKey(pin.hostKey)
    return pinned !== null && pinned.equals(key)
  }

  if (pin.hostKeyFingerprint) {
    return normalizeFingerprint(pin.hostKeyFingerprint) === hostKeyFingerprint(key)
  }

  return false
}

function connectError(
  error: Error & { level?: string; code?: string },
  target: HostTarget,
  key?: Buffer
) {
  const where = `${target.host}:${target.port}`
  const details = { host: where, hostRole: target.role }

  if (key && !matchesPin(key, target.pin)) {
    const keyDetails = {
      ...details,
      fingerprint: hostKeyFingerprint(key),
      hostKey: formatHostKey(key),
    }
    if (!target.pin.hostKey && !target.pin.hostKeyFingerprint) {
      return new DestinationError(
        'HOST_KEY_UNKNOWN',
        `the host key of ${where} is not pinned yet: check that its fingerprint ${keyDetails.fingerprint} is the server's, then accept it`,
        { details: keyDetails }
      )
    }

    return new DestinationError(
      'HOST_KEY_CHANGED',
      `the host key of ${where} changed (now ${keyDetails.fingerprint}): if the server was reinstalled, check the new fingerprint and accept it again, otherwise someone may be intercepting the connection`,
      { details: keyDetails }
    )
  }

  if (error.level === 'client-authentication') {
    return new DestinationError(
      'AUTH_FAILED',
      `authentication as ${target.username} on ${where} failed: check the username and the private key or password`,
      { details, cause: error }
    )
  }

  if (error.level === 'client-timeout') {
    return new DestinationError(
      'TIMEOUT',
      `the SSH handshake with ${where} timed out: check the host, port and firewall`,
      {
        details,
        cause: error,
      }
    )
  }

  const unreachable = [
    'ECONNREFUSED',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ENOTFOUND',
    'EAI_AGAIN',
    'ECONNRESET',
  ]
  if (error.code !== undefined && unreachable.includes(error.code)) {
    return new DestinationError(
      'HOST_UNREACHABLE',
      `cannot connect to ${where} (${error.code}): check the host, port and that the SSH server runs`,
      { details, cause: error }
    )
  }

  return new DestinationError('FAILED', `the SSH connection to ${where} failed: ${error.message}`, {
    details,
    cause: error,
  })
}

function forwardTo(jump: Client, target: HostTarget): Promise<Duplex> {
  const where = `${target.host}:${target.port}`
  return new Promise((resolve, reject) => {
    jump.forwardOut('127.0.0.1', 0, target.host, target.port, (error, channel) => {
      if (error) {
        reject(
          new DestinationError(
            'HOST_UNREACHABLE',
            `the jump host cannot reach ${where} (${error.message}): check the target host and port as seen from the jump host`,
            { details: { host: where, hostRole: 'target' }, cause: error }
          )
        )
        return
      }

      resolve(channel)
    })
  })
}

function openSftp(client: Client, target: HostTarget): Promise<SFTPWrapper> {
  const where = `${target.host}:${target.port}`
  return new Promise((resolve, reject) => {
    client.sftp((error, sftp) => {
      if (error) {
        reject(
          new DestinationError(
            'FAILED',
            `${where} refused the SFTP subsystem (${errorMessage(error)}): enable SFTP for ${target.username} on the server`,
            { details: { host: where }, cause: error }
          )
        )
        return
      }

      resolve(sftp)
    })
  })
}
