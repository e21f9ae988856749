import { readFileSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { parsePublicKey, parsePublicKeys, type PublicKeyInfo } from '@coffer/sdk'

/** The agent's validated settings. */
export interface AgentConfig {
  controllerUrl: URL
  /** Empty when the agent enrolled before and only uses its stored token. */
  enrollmentToken: string
  stateDir: string
  dockerSocket: string
  workDir: string
  concurrency: number
  /** Keys added by the host owner. The first-party key is added when the engine store is built. */
  extraTrustedKeys: PublicKeyInfo[]
  pollSeconds: number
  heartbeatSeconds: number
  jobTimeoutSeconds: number
  localDestinationRoot: string
  helperImage: string
}

/** An invalid setting, with the variable name in the message. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost'])

/** Reads and validates the agent's settings from `env`, raising `ConfigError` on the first invalid one. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const keys = [
    ...parseKeyList(env.COFFER_TRUSTED_KEYS ?? ''),
    ...readKeysFile(env.COFFER_TRUSTED_KEYS_FILE ?? ''),
  ]

  return {
    controllerUrl: parseControllerUrl(env.COFFER_CONTROLLER_URL),
    enrollmentToken: (env.COFFER_ENROLLMENT_TOKEN ?? '').trim(),
    stateDir: absolutePath(env, 'COFFER_STATE_DIR', '/var/lib/coffer-agent'),
    dockerSocket: absolutePath(env, 'COFFER_DOCKER_SOCKET', '/var/run/docker.sock'),
    workDir: absolutePath(env, 'COFFER_WORK_DIR', '/tmp/coffer-agent'),
    concurrency: integer(env, 'COFFER_CONCURRENCY', 2, 1, 16),
    extraTrustedKeys: keys,
    pollSeconds: integer(env, 'COFFER_POLL_SECONDS', 25, 1, 30),
    heartbeatSeconds: integer(env, 'COFFER_HEARTBEAT_SECONDS', 15, 1, 3600),
    jobTimeoutSeconds: integer(env, 'COFFER_JOB_TIMEOUT_SECONDS', 21600, 1, 30 * 24 * 3600),
    localDestinationRoot: absolutePath(env, 'COFFER_LOCAL_DESTINATION_ROOT', '/backups'),
    helperImage: nonEmpty(env, 'COFFER_HELPER_IMAGE', 'busybox:stable'),
  }
}

function parseControllerUrl(value: string | undefined): URL {
  const text = (value ?? '').trim()
  if (text === '') {
    throw new ConfigError(
      'COFFER_CONTROLLER_URL is not set; set it to the base URL of the Coffer controller, such as https://coffer.example.com'
    )
  }

  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ConfigError(
      `COFFER_CONTROLLER_URL "${text}" is not a valid URL; use a form such as https://coffer.example.com`
    )
  }

  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`COFFER_CONTROLLER_URL "${text}" must start with https://`)
  }

  // The agent sends its bearer token and receives destination secrets on this connection.
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new ConfigError(
      `COFFER_CONTROLLER_URL "${text}" uses plain http to a remote host, which would expose the agent's token and destination secrets; use https://`
    )
  }

  if (url.username !== '' || url.password !== '') {
    throw new ConfigError('COFFER_CONTROLLER_URL must not contain a user name or password')
  }

  url.pathname = url.pathname.replace(/\/+$/, '')
  url.search = ''
  url.hash = ''
  return url
}

function absolutePath(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = (env[name] ?? '').trim() || fallback
  if (!isAbsolute(value)) {
    throw new ConfigError(`${name} "${value}" must be an absolute path`)
  }

  return value.replace(/(.)\/+$/, '$1')
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number
): number {
  const text = (env[name] ?? '').trim()
  if (text === '') {
    return fallback
  }

  if (!/^\d+$/.test(text)) {
    throw new ConfigError(
      `${name} "${text}" is not a whole number; use a value from ${min} to ${max}`
    )
  }

  const value = Number(text)
  if (value < min || value > max) {
    throw new ConfigError(`${name} ${value} is out of range; use a value from ${min} to ${max}`)
  }

  return value
}

function nonEmpty(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  return (env[name] ?? '').trim() || fallback
}

function parseKeyList(text: string): PublicKeyInfo[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      try {
        return parsePublicKey(entry)
      } catch (error) {
        throw new ConfigError(`COFFER_TRUSTED_KEYS: ${(error as Error).message}`)
      }
    })
}

function readKeysFile(path: string): PublicKeyInfo[] {
  const trimmed = path.trim()
  if (trimmed === '') {
    return []
  }

  let text: string
  try {
    text = readFileSync(trimmed, 'utf8')
  } catch (error) {
    throw new ConfigError(
      `COFFER_TRUSTED_KEYS_FILE ${trimmed} cannot be read: ${(error as Error).message}`
    )
  }

  try {
    return parsePublicKeys(text)
  } catch (error) {
    throw new ConfigError(`COFFER_TRUSTED_KEYS_FILE ${trimmed}: ${(error as Error).message}`)
  }
}
