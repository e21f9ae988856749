import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { CofferError } from '@coffer/sdk'
import type { CompleteRequest, LeasedJob } from '../controller/api_types.js'
import { ControllerError } from '../controller/client.js'
import { EventBatcher } from '../controller/event_batcher.js'
import { runBackupJob } from './backup_job.js'
import type { JobContext, JobDependencies, JobOutcome } from './job_context.js'
import { JobError, PartialResultError, toReportedError } from './job_error.js'
import { runRestoreJob } from './restore_job.js'
import { runExtractJob, runForgetJob, runListFilesJob, runVerifyJob } from './snapshot_jobs.js'

/** A job the agent is running, as the daemon tracks it. */
export interface RunningJob {
  id: string
  /** Aborts the job: `CANCELLED` for a cancellation, `TIMEOUT` or `INTERNAL` otherwise. */
  abort(reason: CofferError): void
  done: Promise<void>
}

/** Marks a lease lost (409 on renew): the job stops and is not reported, since it is no longer ours. */
const LEASE_LOST = 'LEASE_LOST'

/**
 * Starts a leased job: renews its lease every third of `leaseSeconds`, aborts it on
 * cancellation, lease loss or timeout, streams its events, and reports what really happened.
 */
export function startJob(deps: JobDependencies, job: LeasedJob): RunningJob {
  const controller = new AbortController()
  const abort = (reason: CofferError) => {
    if (!controller.signal.aborted) {
      controller.abort(reason)
    }
  }

  const done = runJob(deps, job, controller.signal, abort)
  return { id: job.id, abort, done }
}

async function runJob(
  deps: JobDependencies,
  job: LeasedJob,
  signal: AbortSignal,
  abort: (reason: CofferError) => void
): Promise<void> {
  const logger = deps.logger.child({ jobId: job.id, kind: job.kind, attempt: job.attempt })
  const events = new EventBatcher(deps.client, job.id, logger)
  const stopRenewing = renewLease(deps, job, abort, logger)

  const timeoutSeconds = Math.min(
    job.timeoutSeconds > 0 ? job.timeoutSeconds : Infinity,
    deps.config.jobTimeoutSeconds
  )
  const timeout = setTimeout(
    () =>
      abort(
        new CofferError('TIMEOUT', `job ${job.id} did not finish within ${timeoutSeconds} seconds`)
      ),
    timeoutSeconds * 1000
  )

  logger.info({ engine: job.engine.id, destination: job.destination.id }, 'job started')
  events.log('info', `job started on agent ${deps.agentVersion}`)

  let completion: CompleteRequest
  let workDir: string | undefined
  try {
    workDir = await mkdtemp(join(deps.config.workDir, `job-${job.id.replace(/[^\w-]/g, '')}-`))
    const context: JobContext = { job, signal, events, logger, workDir }
    const outcome = await dispatch(context, deps)
    completion = {
      status: outcome.warnings ? 'succeeded_with_warnings' : 'succeeded',
      result: outcome.result,
    }
  } catch (error) {
    const partial = error instanceof PartialResultError ? error.result : undefined
    const original = error instanceof PartialResultError ? error.original : error
    completion = failure(original, partial, signal)
  } finally {
    clearTimeout(timeout)
    stopRenewing()
    if (workDir !== undefined) {
      await rm(workDir, { recursive: true, force: true }).catch((error) =>
        logger.warn({ err: error, workDir }, 'failed to remove the job folder')
      )
    }
  }

  const lost = (signal.reason as CofferError | undefined)?.details?.reason === LEASE_LOST
  if (completion.error) {
    events.log('error', `job ${completion.status}: ${completion.error.message}`)
  }

  await events.close()
  if (lost) {
    logger.warn('lease lost; the job is not reported, because the controller has given it up')
    return
  }

  await reportCompletion(deps, job, completion, logger)
}

function dispatch(context: JobContext, deps: JobDependencies): Promise<JobOutcome> {
  switch (context.job.kind) {
    case 'backup':
      return runBackupJob(context, deps)
    case 'restore':
      return runRestoreJob(context, deps)
    case 'forget':
      return runForgetJob(context, deps)
    case 'verify':
      return runVerifyJob(context, deps)
    case 'list-files':
      return runListFilesJob(context, deps)
    case 'extract':
      return runExtractJob(context, deps)
    default:
      throw new JobError(
        'UNSUPPORTED',
        `job kind "${String(context.job.kind)}" is unknown to agent ${deps.agentVersion}; upgrade the agent`
      )
  }
}

// When the job was aborted, the abort reason is reported, whatever error the engine raised.
function failure(
  error: unknown,
  partial: CompleteRequest['result'],
  signal: AbortSignal
): CompleteRequest {
  const reason = signal.aborted ? (signal.reason as CofferError) : undefined
  if (reason?.code === 'CANCELLED') {
    return { status: 'cancelled', result: partial, error: toReportedError(reason) }
  }

  const reported = toReportedError(reason ?? error)
  if (reason && error !== reason && error instanceof Error && error.message !== reason.message) {
    reported.cause = error.message
  }

  return { status: 'failed', result: partial, error: reported }
}

// Renews the lease every third of its duration and returns the function that stops renewing.
function renewLease(
  deps: JobDependencies,
  job: LeasedJob,
  abort: (reason: CofferError) => void,
  logger: JobDependencies['logger']
): () => void {
  const intervalMs = Math.max(1000, (job.leaseSeconds * 1000) / 3)
  const timer = setInterval(async () => {
    try {
      const response = await deps.client.renew(job.id)
      if (response.cancelRequested) {
        logger.info('cancellation requested by the controller')
        abort(new CofferError('CANCELLED', `job ${job.id} was cancelled from the controller`))
      }
    } catch (error) {
      if (error instanceof ControllerError && error.status === 409) {
        abort(
          new CofferError('CANCELLED', `job ${job.id} lost its lease: ${error.message}`, {
            details: { reason: LEASE_LOST },
          })
        )
        return
      }

      logger.warn({ err: error }, 'failed to renew the lease; retrying at the next interval')
    }
  }, intervalMs)

  return () => clearInterval(timer)
}

async function reportCompletion(
  deps: JobDependencies,
  job: LeasedJob,
  completion: CompleteRequest,
  logger: JobDependencies['logger']
): Promise<void> {
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    try {
      await deps.client.complete(job.id, completion)
      logger.info({ status: completion.status, error: completion.error }, 'job finished')
      return
    } catch (error) {
      if (error instanceof ControllerError && error.status >= 400 && error.status < 500) {
        logger.error(
          { err: error, status: completion.status },
          'the controller rejected the job completion'
        )
        return
      }

      logger.warn({ err: error, attempt }, 'failed to report the job completion; retrying')
      await new Promise((resolve) => setTimeout(resolve, attempt * 2000))
    }
  }

  logger.error(
    { status: completion.status },
    'gave up reporting the job completion; the lease will expire'
  )
}
