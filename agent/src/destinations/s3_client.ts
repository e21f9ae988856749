import { Agent } from 'node:https'
import { rootCertificates } from 'node:tls'
import { S3Client } from '@aws-sdk/client-s3'
import type { S3ClientConfig } from '@aws-sdk/client-s3'
import type { S3DestinationConfig, S3Secrets } from './config.js'
import { DestinationError } from './destination_error.js'

/** Default milliseconds allowed to connect, and between bytes of a request or response. */
export const DEFAULT_S3_TIMEOUT_MS = 60_000

/** Creates an S3 client for a destination, with timeouts and the optional private CA. */
export function createS3Client(config: S3DestinationConfig, secrets: S3Secrets): S3Client {
  if (!secrets.accessKeyId || !secrets.secretAccessKey) {
    throw new DestinationError(
      'INVALID_CONFIG',
      `the access key id or secret access key of bucket ${config.bucket} is missing: add both in the destination settings`
    )
  }

  const timeoutMs = config.timeoutMs ?? DEFAULT_S3_TIMEOUT_MS
  const httpsAgent = new Agent({
    keepAlive: true,
    maxSockets: 16,
    ca: config.caCertificate ? [...rootCertificates, config.caCertificate] : undefined,
  })

  const clientConfig: S3ClientConfig = {
    region: config.region,
    credentials: {
      accessKeyId: secrets.accessKeyId,
      secretAccessKey: secrets.secretAccessKey,
      sessionToken: secrets.sessionToken,
    },
    forcePathStyle: config.forcePathStyle ?? config.endpoint !== undefined,
    requestHandler: { connectionTimeout: timeoutMs, socketTimeout: timeoutMs, httpsAgent },
  }

  if (config.endpoint) {
    clientConfig.endpoint = config.endpoint
    // S3-compatible servers often reject or mishandle the flexible checksums the SDK adds by default.
    clientConfig.requestChecksumCalculation = 'WHEN_REQUIRED'
    clientConfig.responseChecksumValidation = 'WHEN_REQUIRED'
  }

  return new S3Client(clientConfig)
}

/** A signal with a deadline, as `deadlineSignal` returns it. */
export interface Deadline {
  signal: AbortSignal
  /** Whether the deadline fired (as opposed to the caller's signal). */
  readonly timedOut: boolean
  /** Stops the timer and stops following the caller's signal. */
  clear(): void
}

/** Returns a signal that fires on the caller's abort or after `timeoutMs`, and a way to stop the timer. */
export function deadlineSignal(timeoutMs: number, signal?: AbortSignal): Deadline {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new Error(`timed out after ${timeoutMs} ms`))
  }, timeoutMs)
  const forward = () => controller.abort(signal?.reason)
  signal?.addEventListener('abort', forward, { once: true })
  if (signal?.aborted) {
    forward()
  }

  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut
    },
    clear() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', forward)
    },
  }
}
