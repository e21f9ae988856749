import { isCofferError } from '@coffer/sdk'
import type { JobResult } from '../controller/api_types.js'
import { ControllerError } from '../controller/client.js'

/** A job failure the agent itself detects, with a stable code for the controller. */
export class JobError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'JobError'
    this.code = code
  }
}

/** The `error` member of a job's completion: code, message and the cause's message. */
export interface ReportedError {
  code: string
  message: string
  cause?: string
}

/** Converts any thrown value into the error a job reports, keeping its code and cause. */
export function toReportedError(error: unknown): ReportedError {
  if (error instanceof JobError || error instanceof ControllerError || isCofferError(error)) {
    return withCause({ code: (error as { code: string }).code, message: error.message }, error)
  }

  if (error instanceof Error) {
    return withCause({ code: 'INTERNAL', message: error.message }, error)
  }

  return { code: 'INTERNAL', message: String(error) }
}

function withCause(reported: ReportedError, error: Error): ReportedError {
  const cause = error.cause
  if (cause instanceof Error && cause.message !== error.message) {
    reported.cause = cause.message
  } else if (typeof cause === 'string') {
    reported.cause = cause
  }

  return reported
}

/** A job failure after part of the work succeeded, such as one of several volumes backed up. */
export class PartialResultError extends Error {
  readonly original: unknown
  readonly result: JobResult

  constructor(original: unknown, result: JobResult) {
    super(original instanceof Error ? original.message : String(original))
    this.name = 'PartialResultError'
    this.original = original
    this.result = result
  }
}
