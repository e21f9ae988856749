import type { RestoreResult } from '@coffer/sdk'
import type { RestorePayload } from '../controller/api_types.js'
import { resolveVolume, type ResolvedVolume } from '../docker/resolve_volume.js'
import { restoreIntoVolume, type VolumeRestoreOutcome } from '../docker/restore_in_place.js'
import { createRestoreVolume, removeRestoreVolume } from '../docker/restore_volume.js'
import { openEngineSession } from '../engines/engine_session.js'
import type { JobContext, JobDependencies, JobOutcome } from './job_context.js'
import { JobError } from './job_error.js'

/**
 * Restores a snapshot in place or into a new volume. In place, the containers that mount the
 * volume are recorded in the journal, stopped, and started again afterwards. A new volume is
 * created empty by the job, no container is stopped, and a failed restore removes the volume.
 */
export async function runRestoreJob(
  context: JobContext,
  deps: JobDependencies
): Promise<JobOutcome> {
  const payload = checkPayload(context.job.payload)
  const newVolume = payload.target?.type === 'new-volume' ? payload.target.name : undefined
  // Resolved before the engine starts, so that a missing volume fails before anything changes.
  const existing = newVolume ? undefined : await resolveVolume(deps.docker, payload.volume)
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

  const restore = async (target: string) =>
    session.engine.restore(await session.callOptions(), {
      snapshot: payload.snapshot,
      target,
      paths: payload.paths,
      mode: 'replace',
    })

  try {
    const outcome = newVolume
      ? await restoreIntoNewVolume(context, deps, payload, newVolume, restore)
      : await restoreInPlace(context, deps, payload, existing!, restore)

    const result = outcome.result
    context.events.log(
      'info',
      `restored ${result.files} files and ${result.directories} folders (${result.bytesWritten} bytes) into ${newVolume ?? existing!.key} through ${outcome.method}`
    )
    const warnings = result.warnings.length > 0 || result.rejected.length > 0
    return { result: { restore: result }, warnings }
  } finally {
    await session.close()
  }
}

type Restore = (target: string) => Promise<RestoreResult>

async function restoreInPlace(
  context: JobContext,
  deps: JobDependencies,
  payload: RestorePayload,
  volume: ResolvedVolume,
  restore: Restore
): Promise<VolumeRestoreOutcome> {
  const running = uniqueRunning(volume.containers)
  if (running.length > 0) {
    context.events.log(
      'info',
      `stopping ${running.map((container) => container.name).join(', ')} for the restore`
    )
  }

  return deps.containers.withStopped(context.job.id, running, () =>
    restoreIntoVolume(deps.docker, volume, volumeOptions(context, deps, payload), restore)
  )
}

async function restoreIntoNewVolume(
  context: JobContext,
  deps: JobDependencies,
  payload: RestorePayload,
  name: string,
  restore: Restore
): Promise<VolumeRestoreOutcome> {
  const volume = await createRestoreVolume(deps.docker, name, {
    jobId: context.job.id,
    snapshotId: payload.snapshot.id,
  })
  context.events.log('info', `created volume ${name} for the restore`)

  try {
    return await restoreIntoVolume(
      deps.docker,
      volume,
      volumeOptions(context, deps, payload),
      restore
    )
  } catch (error) {
    if (await removeRestoreVolume(deps.docker, name, context.job.id, context.logger)) {
      context.events.log('warn', `removed volume ${name}, which this failed restore had created`)
    }
    throw error
  }
}

function volumeOptions(context: JobContext, deps: JobDependencies, payload: RestorePayload) {
  return {
    jobId: context.job.id,
    helperImage: deps.config.helperImage,
    workDir: context.workDir,
    paths: payload.paths,
    methods: deps.captureMethods,
    logger: context.logger,
  }
}

function uniqueRunning<T extends { id: string; running: boolean }>(containers: T[]): T[] {
  const seen = new Set<string>()
  return containers.filter((container) => {
    if (!container.running || seen.has(container.id)) {
      return false
    }

    seen.add(container.id)
    return true
  })
}

function checkPayload(payload: unknown): RestorePayload {
  const value = payload as RestorePayload | undefined
  if (!value?.snapshot || !value.volume) {
    throw new JobError('INVALID_ARGUMENT', 'restore payload needs snapshot and volume')
  }

  if (value.mode !== undefined && value.mode !== 'replace') {
    throw new JobError(
      'INVALID_ARGUMENT',
      `restore mode "${String(value.mode)}" is not supported; use replace`
    )
  }

  const target = value.target
  if (target !== undefined && (target.type !== 'new-volume' || typeof target.name !== 'string')) {
    throw new JobError(
      'INVALID_ARGUMENT',
      'restore target must be { type: "new-volume", name } or absent for a restore in place'
    )
  }

  return value
}
