import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { isCofferError } from '@coffer/sdk'
import type { Storage } from '@coffer/sdk'
import type { DestinationConfig, DestinationSecrets } from './config.js'
import { DestinationError, errorMessage, isDestinationError } from './destination_error.js'
import type { DestinationErrorReason } from './destination_error.js'
import { hostKeyFingerprint, parseHostKey } from './host_key.js'
import { openStorage } from './open_storage.js'

/** Milliseconds the whole probe may take before it reports `TIMEOUT`. */
const DEFAULT_TEST_TIMEOUT_MS = 60_000

/** Bytes of the probe object. */
const PROBE_SIZE = 1024

/** The outcome of a destination test, as the panel's Test button shows it. */
export type DestinationTestResult =
  | {
      ok: true
      /** Milliseconds to connect, write, read back and delete the probe object. */
      latencyMs: number
      /** SHA256 fingerprint of the pinned SSH host key, for SFTP. */
      fingerprint?: string
    }
  | {
      ok: false
      code: DestinationErrorReason
      message: string
      /** For `HOST_KEY_UNKNOWN` and `HOST_KEY_CHANGED`: the key the server presented. */
      fingerprint?: string
      /** The presented key as an OpenSSH line, to store in the config once the admin accepts it. */
      hostKey?: string
      /** Which host presented the key when a jump host is configured. */
      hostRole?: 'target' | 'jump'
    }

/**
 * Tests a destination with the drivers' own code: connects, writes a probe object, reads it
 * back, deletes it, and reports the latency or the reason of the first failure. Never throws.
 */
export async function testDestination(
  config: DestinationConfig,
  secrets: DestinationSecrets = {},
  options: { timeoutMs?: number } = {}
): Promise<DestinationTestResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS
  const started = performance.now()
  const controller = new AbortController()
  let storage: Storage | undefined
  let timer: NodeJS.Timeout | undefined

  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(
        new DestinationError(
          'TIMEOUT',
          `the destination test did not finish within ${timeoutMs} ms: check the host and the network`
        )
      )
    }, timeoutMs)
  })

  try {
    storage = openStorage(config, secrets)
    await Promise.race([probe(storage, controller.signal), timeout])
    const latencyMs = Math.round(performance.now() - started)
    const fingerprint =
      config.kind === 'sftp'
        ? pinnedFingerprint(config.hostKey, config.hostKeyFingerprint)
        : undefined
    return fingerprint ? { ok: true, latencyMs, fingerprint } : { ok: true, latencyMs }
  } catch (error) {
    return failure(error)
  } finally {
    clearTimeout(timer)
    await storage?.close().catch(() => undefined)
  }
}

async function probe(storage: Storage, signal: AbortSignal): Promise<void> {
  const key = `coffer-probe-${randomBytes(8).toString('hex')}`
  const payload = randomBytes(PROBE_SIZE)

  await storage.put(key, Readable.from([payload]), { signal })
  try {
    const chunks: Buffer[] = []
    for await (const chunk of await storage.get(key, { signal })) {
      chunks.push(Buffer.from(chunk))
    }

    if (!Buffer.concat(chunks).equals(payload)) {
      throw new DestinationError(
        'FAILED',
        `the probe object ${key} read back differs from what was written: check the server's storage`
      )
    }
  } finally {
    await storage.delete(key, { signal })
  }

  if ((await storage.stat(key, { signal })) !== null) {
    throw new DestinationError(
      'PERMISSION_DENIED',
      `the probe object ${key} is still listed after its delete: grant delete rights`
    )
  }
}

function failure(error: unknown): DestinationTestResult {
  if (isDestinationError(error)) {
    const details = error.details
    const result: DestinationTestResult = { ok: false, code: error.reason, message: error.message }
    if (details.fingerprint) {
      result.fingerprint = details.fingerprint
    }
    if (details.hostKey) {
      result.hostKey = details.hostKey
    }
    if (details.hostRole) {
      result.hostRole = details.hostRole
    }

    return result
  }

  // The local driver raises the SDK's StorageError with the errno in its details.
  const errno = isCofferError(error) ? (error.details?.errno as string | undefined) : undefined
  if (errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS') {
    return {
      ok: false,
      code: 'PATH_NOT_WRITABLE',
      message: `${errorMessage(error)}: give the agent's user write access to the folder`,
    }
  }

  return { ok: false, code: 'FAILED', message: errorMessage(error) }
}

function pinnedFingerprint(hostKey?: string, fingerprint?: string): string | undefined {
  if (fingerprint) {
    return fingerprint
  }

  return hostKey ? fingerprintOfLine(hostKey) : undefined
}

function fingerprintOfLine(line: string): string | undefined {
  const blob = parseHostKey(line)
  return blob ? hostKeyFingerprint(blob) : undefined
}
