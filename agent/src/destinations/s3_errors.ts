import { DestinationError, isDestinationError } from './destination_error.js'
import type { DestinationErrorReason } from './destination_error.js'

const UNREACHABLE_CODES = [
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
]
const AUTH_ERRORS = [
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'CredentialsProviderError',
]

interface S3ErrorShape {
  name?: string
  code?: string
  message?: string
  $metadata?: { httpStatusCode?: number }
}

/** Context of a failed S3 call, for the error message. */
export interface S3ErrorContext {
  /** Short verb phrase such as `upload of backups/a.tar`. */
  operation: string
  bucket: string
  endpoint: string
  key?: string
  /** Whether the call's own deadline fired (as opposed to the caller's signal). */
  timedOut?: boolean
}

/** Converts an error from @aws-sdk/client-s3 or the network into a `DestinationError`. */
export function mapS3Error(error: unknown, context: S3ErrorContext): DestinationError {
  if (isDestinationError(error)) {
    return error
  }

  const shape = (typeof error === 'object' && error !== null ? error : {}) as S3ErrorShape
  const name = shape.name ?? ''
  const status = shape.$metadata?.httpStatusCode
  const details = { host: context.endpoint, path: context.key }
  const fail = (reason: DestinationErrorReason, message: string) =>
    new DestinationError(reason, message, { details, cause: error })

  if (context.timedOut || name === 'TimeoutError') {
    return fail(
      'TIMEOUT',
      `S3 ${context.operation} timed out on ${context.endpoint}: check that the endpoint responds`
    )
  }

  if (name === 'AbortError') {
    return fail('CANCELLED', `S3 ${context.operation} was cancelled`)
  }

  if (name === 'NoSuchBucket') {
    return fail(
      'BUCKET_MISSING',
      `bucket ${context.bucket} does not exist on ${context.endpoint}: create it or correct the bucket name`
    )
  }

  if (name === 'NoSuchKey' || (name === 'NotFound' && status === 404)) {
    return fail('NOT_FOUND', `object ${context.key ?? ''} not found in bucket ${context.bucket}`)
  }

  if (AUTH_ERRORS.includes(name)) {
    return fail(
      'AUTH_FAILED',
      `${context.endpoint} rejected the S3 credentials (${name}): check the access key id and secret access key`
    )
  }

  if (name === 'AccessDenied' || status === 403) {
    return fail(
      'PERMISSION_DENIED',
      `access denied for S3 ${context.operation} in bucket ${context.bucket}: grant the access key read, write, list and delete rights on the bucket and prefix`
    )
  }

  const code = shape.code ?? ''
  if (
    UNREACHABLE_CODES.includes(code) ||
    UNREACHABLE_CODES.some((value) => (shape.message ?? '').includes(value))
  ) {
    return fail(
      'HOST_UNREACHABLE',
      `cannot connect to ${context.endpoint} (${code || shape.message}): check the endpoint URL and that the server runs`
    )
  }

  return fail(
    'FAILED',
    `S3 ${context.operation} failed on ${context.endpoint}: ${shape.message ?? String(error)}`
  )
}
