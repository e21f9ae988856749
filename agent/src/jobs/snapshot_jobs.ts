import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { isCofferError, type SnapshotRef } from '@coffer/sdk'
import type {
  ExtractPayload,
  ForgetPayload,
  ListFilesPayload,
  VerifyPayload,
} from '../controller/api_types.js'
import { openEngineSession, type EngineSession } from '../engines/engine_session.js'
import type { JobContext, JobDependencies, JobOutcome } from './job_context.js'
import { JobError } from './job_error.js'
import { tarFolder } from '../archive/tar_command.js'

/** Removes snapshots chosen by the controller's retention. */
export function runForgetJob(context: JobContext, deps: JobDependencies): Promise<JobOutcome> {
  const payload = context.job.payload as ForgetPayload
  if (!Array.isArray(payload?.snapshots)) {
    throw new JobError('INVALID_ARGUMENT', 'forget payload needs snapshots')
  }

  return withEngine(context, deps, async (session) => {
    await session.engine.forget(await session.callOptions(), { snapshots: payload.snapshots })
    context.events.log('info', `forgot ${payload.snapshots.length} snapshots`)
    return { result: {}, warnings: false }
  })
}

/**
 * Verifies one snapshot at the requested level, or checks the presence of several (reconciliation).
 * A snapshot that fails verification fails the job with code `CORRUPT`.
 */
export function runVerifyJob(context: JobContext, deps: JobDependencies): Promise<JobOutcome> {
  const payload = context.job.payload as VerifyPayload

  return withEngine(context, deps, async (session) => {
    if (Array.isArray(payload?.snapshots)) {
      const verified: Array<{ id: string; present: boolean }> = []
      for (const snapshot of payload.snapshots) {
        verified.push({ id: snapshot.id, present: await isPresent(session, snapshot) })
      }

      if (!payload.listDestination) {
        return { result: { verified }, warnings: false }
      }

      const stored = await session.engine.listSnapshots(await session.callOptions())
      const listed = stored.map((snapshot) => ({
        id: snapshot.id ?? null,
        engineSnapshotId: snapshot.engineSnapshotId ?? null,
        time: new Date(snapshot.time).toISOString(),
      }))
      context.events.log('info', `the destination holds ${listed.length} snapshots`)
      return { result: { verified, listed }, warnings: false }
    }

    if (!payload?.snapshot) {
      throw new JobError('INVALID_ARGUMENT', 'verify payload needs snapshot or snapshots')
    }

    const result = await session.engine.verify(await session.callOptions(), {
      snapshot: payload.snapshot,
      level: payload.level,
    })
    if (!result.ok) {
      throw new JobError(
        'CORRUPT',
        `snapshot ${payload.snapshot.id} failed ${payload.level} verification: ${result.problems.join('; ')}`
      )
    }

    return { result: { verify: result }, warnings: false }
  })
}

/** Lists the files of a snapshot, optionally under a prefix. */
export function runListFilesJob(context: JobContext, deps: JobDependencies): Promise<JobOutcome> {
  const payload = context.job.payload as ListFilesPayload
  if (!payload?.snapshot) {
    throw new JobError('INVALID_ARGUMENT', 'list-files payload needs snapshot')
  }

  return withEngine(context, deps, async (session) => {
    const files = await session.engine.listFiles(await session.callOptions(), {
      snapshot: payload.snapshot,
      prefix: payload.prefix,
    })
    return { result: { files }, warnings: false }
  })
}

/** Restores some paths of a snapshot into the job folder and uploads them as one tar stream. */
export function runExtractJob(context: JobContext, deps: JobDependencies): Promise<JobOutcome> {
  const payload = context.job.payload as ExtractPayload
  if (!payload?.snapshot || !Array.isArray(payload.paths) || payload.paths.length === 0) {
    throw new JobError('INVALID_ARGUMENT', 'extract payload needs snapshot and at least one path')
  }

  return withEngine(context, deps, async (session) => {
    const target = join(context.workDir, 'extract')
    await mkdir(target, { mode: 0o700 })
    const restored = await session.engine.restore(await session.callOptions(), {
      snapshot: payload.snapshot,
      target,
      paths: payload.paths,
      mode: 'merge',
    })

    await deps.client.upload(context.job.id, tarFolder(target), context.signal)
    context.events.log(
      'info',
      `uploaded ${restored.files} files (${restored.bytesWritten} bytes) as a tar stream`
    )
    return { result: {}, warnings: restored.warnings.length > 0 || restored.rejected.length > 0 }
  })
}

async function isPresent(session: EngineSession, snapshot: SnapshotRef): Promise<boolean> {
  try {
    const result = await session.engine.verify(await session.callOptions(), {
      snapshot,
      level: 'structure',
    })
    return result.ok
  } catch (error) {
    if (isCofferError(error, 'NOT_FOUND') || isCofferError(error, 'CORRUPT')) {
      return false
    }

    throw error
  }
}

async function withEngine(
  context: JobContext,
  deps: JobDependencies,
  task: (session: EngineSession) => Promise<JobOutcome>
): Promise<JobOutcome> {
  const prepared = await deps.engines.prepare(context.job.engine)
  const session = await openEngineSession({
    prepared,
    destination: context.job.destination,
    engineOptions: context.job.engineOptions,
    localDestinationRoot: deps.config.localDestinationRoot,
    agentVersion: deps.agentVersion,
    workDir: context.workDir,
    signal: context.signal,
    events: context.events,
  })

  try {
    return await task(session)
  } finally {
    await session.close()
  }
}
