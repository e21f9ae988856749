/**
 * Stable error codes shared by the SDK, engines and the agent. Callers switch on `code`, never on
 * the message text. Codes are only ever added, never renamed.
 */
export type CofferErrorCode =
  /** `engine.json` is missing a field or a field has the wrong type or format. */
  | 'INVALID_MANIFEST'
  /** Per-destination options do not match the engine's options schema. */
  | 'INVALID_OPTIONS'
  /** A request or argument is invalid (for example a storage key with `..`). */
  | 'INVALID_ARGUMENT'
  /** A sha256 does not match: the whole bundle, one bundle file, or an artifact. */
  | 'DIGEST_MISMATCH'
  /** An Ed25519 signature does not verify with the named key. */
  | 'BAD_SIGNATURE'
  /** A signature was made by a key that is not in the trusted set. */
  | 'UNKNOWN_KEY'
  /** The manifest's id or version differs from the signed id or version. */
  | 'MANIFEST_MISMATCH'
  /** A bundle's version is lower than one the host already accepted. */
  | 'VERSION_DOWNGRADE'
  /** The engine implements only API majors older than the host supports. */
  | 'API_TOO_OLD'
  /** The engine implements only API majors newer than the host supports. */
  | 'API_TOO_NEW'
  /** The agent is older than the engine's `minAgentVersion`. */
  | 'AGENT_TOO_OLD'
  /** An object, snapshot, file or key does not exist. */
  | 'NOT_FOUND'
  /** The engine or driver does not implement the requested feature. */
  | 'UNSUPPORTED'
  /** An encryption key does not match the data it should decrypt. */
  | 'WRONG_KEY'
  /** Stored data is truncated or altered. */
  | 'CORRUPT'
  /** A repository is locked by another process. */
  | 'REPOSITORY_LOCKED'
  /** No repository exists at the destination. */
  | 'REPOSITORY_MISSING'
  /** The repository password is wrong. */
  | 'WRONG_PASSWORD'
  /** The operation was cancelled through its AbortSignal. */
  | 'CANCELLED'
  /** The operation did not finish in time. */
  | 'TIMEOUT'
  /** A peer broke the host–engine protocol (bad frame, unknown message, early exit). */
  | 'PROTOCOL'
  /** The engine process exited or crashed during a call. */
  | 'ENGINE_CRASHED'
  /** A destination operation failed (connection, permission, size check). */
  | 'STORAGE'
  /** A failure that no other code describes; the message carries the detail. */
  | 'INTERNAL'

/** Every code, for validation of codes received from another process. */
export const COFFER_ERROR_CODES: readonly CofferErrorCode[] = [
  'INVALID_MANIFEST',
  'INVALID_OPTIONS',
  'INVALID_ARGUMENT',
  'DIGEST_MISMATCH',
  'BAD_SIGNATURE',
  'UNKNOWN_KEY',
  'MANIFEST_MISMATCH',
  'VERSION_DOWNGRADE',
  'API_TOO_OLD',
  'API_TOO_NEW',
  'AGENT_TOO_OLD',
  'NOT_FOUND',
  'UNSUPPORTED',
  'WRONG_KEY',
  'CORRUPT',
  'REPOSITORY_LOCKED',
  'REPOSITORY_MISSING',
  'WRONG_PASSWORD',
  'CANCELLED',
  'TIMEOUT',
  'PROTOCOL',
  'ENGINE_CRASHED',
  'STORAGE',
  'INTERNAL',
]

/** Structured facts about an error, such as the field or file it concerns. JSON values only. */
export type CofferErrorDetails = Record<string, unknown>

/** Options of the `CofferError` constructor. */
export interface CofferErrorOptions {
  details?: CofferErrorDetails
  cause?: unknown
}

/** The JSON form of a `CofferError`, as it crosses the host–engine process boundary. */
export interface SerializedCofferError {
  name: string
  code: CofferErrorCode
  message: string
  details?: CofferErrorDetails
  /** The cause's message only; stacks never cross the process boundary. */
  causeMessage?: string
}

/** Base class of every error the SDK raises, with a stable `code` to switch on. */
export class CofferError extends Error {
  readonly code: CofferErrorCode
  readonly details?: CofferErrorDetails

  constructor(code: CofferErrorCode, message: string, options: CofferErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CofferError'
    this.code = code
    if (options.details !== undefined) {
      this.details = options.details
    }
  }

  /** Converts the error to plain JSON: code, message, details and the cause's message. */
  toJSON(): SerializedCofferError {
    const json: SerializedCofferError = { name: this.name, code: this.code, message: this.message }
    if (this.details !== undefined) {
      json.details = this.details
    }

    const causeMessage = messageOf(this.cause)
    if (causeMessage !== undefined) {
      json.causeMessage = causeMessage
    }

    return json
  }
}

/** An error raised by a storage driver; `code` is usually `STORAGE` or `NOT_FOUND`. */
export class StorageError extends CofferError {
  constructor(code: CofferErrorCode, message: string, options: CofferErrorOptions = {}) {
    super(code, message, options)
    this.name = 'StorageError'
  }
}

/** An error raised while checking a bundle's digest, signature or manifest. */
export class BundleVerificationError extends CofferError {
  constructor(code: CofferErrorCode, message: string, options: CofferErrorOptions = {}) {
    super(code, message, options)
    this.name = 'BundleVerificationError'
  }
}

/** An error raised by the host–engine protocol: handshake rejections, bad frames, crashes. */
export class ProtocolError extends CofferError {
  constructor(code: CofferErrorCode, message: string, options: CofferErrorOptions = {}) {
    super(code, message, options)
    this.name = 'ProtocolError'
  }
}

/**
 * Tells whether `value` is a `CofferError`, optionally with the given code. An `Error` whose `code`
 * is a known Coffer code also counts, because each engine bundle carries its own copy of the SDK
 * and so its own `CofferError` class.
 */
export function isCofferError(value: unknown, code?: CofferErrorCode): value is CofferError {
  const matches =
    value instanceof CofferError ||
    (value instanceof Error && isCofferErrorCode((value as { code?: unknown }).code))
  if (!matches) {
    return false
  }

  return code === undefined || (value as CofferError).code === code
}

/** Tells whether `value` is a known error code. */
export function isCofferErrorCode(value: unknown): value is CofferErrorCode {
  return typeof value === 'string' && (COFFER_ERROR_CODES as readonly string[]).includes(value)
}

/**
 * Converts any thrown value to the JSON form. A value that is not a `CofferError` becomes code
 * `INTERNAL` with its message, so an engine's unexpected failure still reaches the host.
 */
export function serializeError(error: unknown): SerializedCofferError {
  if (error instanceof CofferError) {
    return error.toJSON()
  }

  if (isCofferError(error)) {
    return CofferError.prototype.toJSON.call(error)
  }

  const message = messageOf(error) ?? 'unknown error'
  const name = error instanceof Error ? error.name : 'Error'
  return { name, code: 'INTERNAL', message }
}

/**
 * Rebuilds an error from its JSON form, keeping the subclass when its name is one of this file's classes. An unknown
 * code becomes `INTERNAL` and keeps the original code in `details.receivedCode`.
 */
export function deserializeError(json: unknown): CofferError {
  if (typeof json !== 'object' || json === null) {
    return new ProtocolError(
      'PROTOCOL',
      `invalid serialized error: expected an object, got ${typeof json}`
    )
  }

  const record = json as Record<string, unknown>
  const message = typeof record.message === 'string' ? record.message : 'error without a message'
  let details =
    typeof record.details === 'object' && record.details !== null
      ? (record.details as CofferErrorDetails)
      : undefined

  let code: CofferErrorCode = 'INTERNAL'
  if (isCofferErrorCode(record.code)) {
    code = record.code
  } else if (record.code !== undefined) {
    details = { ...details, receivedCode: record.code }
  }

  const cause = typeof record.causeMessage === 'string' ? new Error(record.causeMessage) : undefined
  const options: CofferErrorOptions = { details, cause }
  const error = createError(record.name, code, message, options)
  return error
}

function createError(
  name: unknown,
  code: CofferErrorCode,
  message: string,
  options: CofferErrorOptions
): CofferError {
  if (name === 'StorageError') {
    return new StorageError(code, message, options)
  }

  if (name === 'BundleVerificationError') {
    return new BundleVerificationError(code, message, options)
  }

  if (name === 'ProtocolError') {
    return new ProtocolError(code, message, options)
  }

  return new CofferError(code, message, options)
}

function messageOf(value: unknown): string | undefined {
  if (value === undefined || value === null) {
    return undefined
  }

  if (value instanceof Error) {
    return value.message
  }

  return String(value)
}
