import type { BackupResult } from '@coffer/sdk'
import type { BackupPayload, VolumeSnapshot } from '../controller/api_types.js'
import { runHook, type ContainerHooks } from '../docker/hooks.js'
import { resolveVolume, writers, type ResolvedVolume } from '../docker/resolve_volume.js'
import { openVolumeSource } from '../docker/volume_source.js'
import { openEngineSession, type EngineSession } from '../engines/engine_session.js'
import type { JobContext, JobDependencies, JobOutcome } from './job_context.js'
import { JobError, PartialResultError } from './job_error.js'
import { volumeSnapshotId } from './snapshot_id.js'

/**
 * Backs up each volume of a resource into its own snapshot. Pre hooks run first (one failing
 * aborts the backup), then each volume is copied while the containers that write to it are
 * paused (unless the resource is in live mode), and post hooks run at the end in every case.
 */
export async function runBackupJob(
  context: JobContext,
  deps: JobDependencies
): Promise<JobOutcome> {
  const payload = checkPayload(context.job.payload)
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

  const snapshots: VolumeSnapshot[] = []
  let warnings = false
  try {
    const hooks = payload.resource.hooks ?? []
    try {
      await runPreHooks(context, deps, hooks)
      for (const [index, volume] of payload.resource.volumes.entries()) {
        const resolved = await resolveVolume(deps.docker, volume)
        const snapshotId = volumeSnapshotId(payload.snapshotId, resolved.key, index)
        const result = await backupVolume(context, deps, session, resolved, snapshotId, payload)
        snapshots.push({
          volume: resolved.key,
          snapshot: result.snapshot,
          stats: result.stats,
          warnings: result.warnings,
        })
        warnings ||= result.warnings.length > 0
      }
    } finally {
      warnings = (await runPostHooks(context, deps, hooks)) || warnings
    }
  } catch (error) {
    if (snapshots.length > 0) {
      throw new PartialResultError(error, { snapshots })
    }

    throw error
  } finally {
    await session.close()
  }

  return { result: { snapshots }, warnings }
}

async function backupVolume(
  context: JobContext,
  deps: JobDependencies,
  session: EngineSession,
  volume: ResolvedVolume,
  snapshotId: string,
  payload: BackupPayload
): Promise<BackupResult> {
  const copy = async () => {
    const opened = await openVolumeSource(deps.docker, volume, {
      jobId: context.job.id,
      helperImage: deps.config.helperImage,
      methods: deps.captureMethods,
      sources: session.engine.manifest.capabilities.sources,
      workDir: context.workDir,
      logger: context.logger,
    })
    context.events.log(
      'info',
      `reading volume ${volume.key} through ${opened.method} as ${opened.source.kind}`
    )

    try {
      const tags = { ...payload.tags, 'coffer.volume': volume.key }
      return await session.engine.backup(await session.callOptions(), {
        snapshotId,
        source: opened.source,
        tags,
      })
    } finally {
      await opened.close()
    }
  }

  if (payload.resource.liveMode) {
    context.events.log('info', `copying volume ${volume.key} live, without pausing its containers`)
    return copy()
  }

  const running = writers(volume).filter((container) => container.running)
  if (running.length > 0) {
    context.events.log(
      'info',
      `pausing ${running.map((container) => container.name).join(', ')} while copying ${volume.key}`
    )
  }

  const result = await deps.containers.withPaused(context.job.id, running, copy)
  context.events.log(
    'info',
    `volume ${volume.key}: ${result.stats.files} files, ${result.stats.bytesRead} bytes read, ${result.stats.bytesStored} bytes stored`
  )
  return result
}

async function runPreHooks(
  context: JobContext,
  deps: JobDependencies,
  hooks: ContainerHooks[]
): Promise<void> {
  for (const hook of hooks) {
    if (!hook.pre || hook.pre.length === 0) {
      continue
    }

    const result = await runHook(deps.docker, hook.container, hook.pre, context.signal)
    context.events.log(
      result.exitCode === 0 ? 'info' : 'error',
      `pre hook in ${hook.container} exited with ${result.exitCode}${formatOutput(result.output)}`
    )
    if (result.exitCode !== 0) {
      throw new JobError(
        'HOOK_FAILED',
        `pre-backup hook in container ${hook.container} exited with code ${result.exitCode}; the backup was not started. Fix the hook command or remove it`,
        { cause: result.output || undefined }
      )
    }
  }
}

// Returns true when a post hook failed, which turns a successful backup into one with warnings.
async function runPostHooks(
  context: JobContext,
  deps: JobDependencies,
  hooks: ContainerHooks[]
): Promise<boolean> {
  let failed = false
  for (const hook of hooks) {
    if (!hook.post || hook.post.length === 0) {
      continue
    }

    try {
      const result = await runHook(deps.docker, hook.container, hook.post)
      const ok = result.exitCode === 0
      failed ||= !ok
      context.events.log(
        ok ? 'info' : 'warn',
        `post hook in ${hook.container} exited with ${result.exitCode}${formatOutput(result.output)}`
      )
    } catch (error) {
      failed = true
      context.events.log(
        'warn',
        `post hook in ${hook.container} could not run: ${(error as Error).message}`
      )
    }
  }

  return failed
}

function formatOutput(output: string): string {
  return output === '' ? '' : `: ${output.slice(-500)}`
}

function checkPayload(payload: unknown): BackupPayload {
  const value = payload as BackupPayload | undefined
  if (typeof value?.snapshotId !== 'string' || !Array.isArray(value.resource?.volumes)) {
    throw new JobError('INVALID_ARGUMENT', 'backup payload needs snapshotId and resource.volumes')
  }

  if (value.resource.volumes.length === 0) {
    throw new JobError(
      'INVALID_ARGUMENT',
      `resource ${value.resource.name} has no volumes to back up`
    )
  }

  return value
}
