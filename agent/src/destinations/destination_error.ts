import { StorageError } from '@coffer/sdk'
import type { CofferErrorCode } from '@coffer/sdk'

/**
 * Reason of a destination failure, finer than the SDK's error codes. The panel's Test button
 * shows one message per reason.
 */
export type DestinationErrorReason =
  /** The host refused the connection, does not resolve or cannot be routed to. */
  | 'HOST_UNREACHABLE'
  /** The server rejected the credentials (key, password, access key). */
  | 'AUTH_FAILED'
  /** The server's host key differs from the pinned one. */
  | 'HOST_KEY_CHANGED'
  /** No host key is pinned yet; the error carries the server's key for the admin to accept. */
  | 'HOST_KEY_UNKNOWN'
  /** The S3 bucket does not exist. */
  | 'BUCKET_MISSING'
  /** The server denied an operation on an existing path or object. */
  | 'PERMISSION_DENIED'
  /** The destination folder cannot be created or written to. */
  | 'PATH_NOT_WRITABLE'
  /** A connection or operation did not finish in time. */
  | 'TIMEOUT'
  /** The configuration or a secret is invalid (for example a PuTTY key). */
  | 'INVALID_CONFIG'
  /** A storage key or range is invalid. */
  | 'INVALID_ARGUMENT'
  /** The driver cannot do what was requested (for example restic with password auth). */
  | 'UNSUPPORTED'
  /** The object does not exist. */
  | 'NOT_FOUND'
  /** The stored size differs from the bytes sent. */
  | 'SIZE_MISMATCH'
  /** The operation was cancelled through its AbortSignal. */
  | 'CANCELLED'
  /** Any other failure; the message carries the detail. */
  | 'FAILED'

/** Facts attached to a destination error. Never contains a secret. */
export interface DestinationErrorDetails {
  /** `host:port` or endpoint concerned. */
  host?: string
  /** Storage key or remote path concerned. */
  path?: string
  /** SHA256 fingerprint of the host key the server presented, `SHA256:...`. */
  fingerprint?: string
  /** The server's public key as an OpenSSH line (`ssh-ed25519 AAAA...`), to pin it. */
  hostKey?: string
  /** Role of the host that presented the key, when a jump host is used. */
  hostRole?: 'target' | 'jump'
  [name: string]: unknown
}

const SDK_CODES: Partial<Record<DestinationErrorReason, CofferErrorCode>> = {
  TIMEOUT: 'TIMEOUT',
  NOT_FOUND: 'NOT_FOUND',
  UNSUPPORTED: 'UNSUPPORTED',
  INVALID_CONFIG: 'INVALID_ARGUMENT',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  CANCELLED: 'CANCELLED',
}

/** A storage error raised by a destination driver, with the reason the Test button reports. */
export class DestinationError extends StorageError {
  readonly reason: DestinationErrorReason
  declare readonly details: DestinationErrorDetails

  constructor(
    reason: DestinationErrorReason,
    message: string,
    options: { details?: DestinationErrorDetails; cause?: unknown } = {}
  ) {
    const code = SDK_CODES[reason] ?? 'STORAGE'
    super(code, message, { details: { ...options.details, reason }, cause: options.cause })
    this.name = 'DestinationError'
    this.reason = reason
  }
}

/** Tells whether `value` is a `DestinationError`, optionally with the given reason. */
export function isDestinationError(
  value: unknown,
  reason?: DestinationErrorReason
): value is DestinationError {
  if (!(value instanceof DestinationError)) {
    return false
  }

  return reason === undefined || value.reason === reason
}

/** Returns the message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
