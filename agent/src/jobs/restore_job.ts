import type { RestorePayload } from '../controller/api_types.js'
import { resolveVolume } from '../docker/resolve_volume.js'
import { restoreIntoVolume } from '../docker/restore_in_place.js'
import { openEngineSession } from '../engines/engine_session.js'
import type { JobContext, JobDependencies, JobOutcome } from './job_context.js'
import { JobError } from './job_error.js'

/**
 * Restores a snapshot into a volume in place: stops the containers that mount the volume
 * (recorded in the journal first), restores in replace mode, and starts them again.
 */
export async function runRestoreJob(
  context: JobContext,
  deps: JobDependencies
): Promise<JobOutcome> {
  const payload = checkPayload(context.job.payload)
  const volume = await resolveVolume(deps.docker, payload.volume)
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

  const running = uniqueRunning(volume.containers)
  if (running.length > 0) {
    context.events.log(
      'info',
      `stopping ${running.map((container) => container.name).join(', ')} for the restore`
    )
  }

  try {
    const outcome = await deps.containers.withStopped(context.job.id, running, () =>
      restoreIntoVolume(
        deps.docker,
        volume,
        {
          jobId: context.job.id,
          helperImage: deps.config.helperImage,
          workDir: context.workDir,
          paths: payload.paths,
          methods: deps.captureMethods,
          logger: context.logger,
        },
        async (target) =>
          session.engine.restore(await session.callOptions(), {
            snapshot: payload.snapshot,
            target,
            paths: payload.paths,
            mode: 'replace',
          })
      )
    )

    const result = outcome.result
    context.events.log(
      'info',
      `restored ${result.files} files and ${result.directories} folders (${result.bytesWritten} bytes) into ${volume.key} through ${outcome.method}`
    )
    const warnings = result.warnings.length > 0 || result.rejected.length > 0
    return { result: { restore: result }, warnings }
  } finally {
    await session.close()
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
      `restore mode "${String(value.mode)}" is not supported in place; use replace`
    )
  }

  return value
}
