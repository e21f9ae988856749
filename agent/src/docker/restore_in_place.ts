import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type Docker from 'dockerode'
import type { RestoreResult } from '@coffer/sdk'
import type { AgentLogger } from '../logger.js'
import { tarFolder } from '../archive/tar_command.js'
import {
  createHelperContainer,
  HELPER_MOUNT_PATH,
  removeHelperContainer,
} from './helper_container.js'
import type { ResolvedVolume } from './resolve_volume.js'
import type { CaptureMethod } from './volume_source.js'

/** Inputs of `restoreIntoVolume`. */
export interface RestoreIntoVolumeOptions {
  jobId: string
  helperImage: string
  /** The job's private folder, for staging when the volume is reached through a helper. */
  workDir: string
  /** Paths the restore covers, or the whole volume when omitted. */
  paths?: string[]
  /** The host path is used only when the list contains `mountpoint`, and a helper otherwise. */
  methods?: readonly CaptureMethod[]
  logger: AgentLogger
}

/** How a restore reached the volume, and the engine's result. */
export interface VolumeRestoreOutcome {
  method: 'mountpoint' | 'helper'
  result: RestoreResult
}

/**
 * Restores into a volume whose containers are already stopped. When the agent can read the
 * volume's host path, the engine restores straight into it (replace mode). Otherwise the engine restores
 * into a staging folder, a started helper container empties the volume (or only the restored
 * paths), and a second, never started helper receives the staged tree through Docker's archive
 * endpoint. The helper image needs a shell with `rm` for the emptying step.
 */
export async function restoreIntoVolume(
  docker: Docker,
  volume: ResolvedVolume,
  options: RestoreIntoVolumeOptions,
  restore: (target: string) => Promise<RestoreResult>
): Promise<VolumeRestoreOutcome> {
  const methods = options.methods ?? ['mountpoint']
  if (methods.includes('mountpoint') && (await isVisibleFolder(volume.hostPath))) {
    return { method: 'mountpoint', result: await restore(volume.hostPath) }
  }

  const staging = join(options.workDir, 'restore-staging')
  await mkdir(staging, { recursive: true, mode: 0o700 })
  const result = await restore(staging)

  await emptyVolume(docker, volume, options)
  const receiver = await createHelperContainer(
    docker,
    volume.volume,
    { image: options.helperImage, jobId: options.jobId, readOnly: false },
    options.logger
  )
  try {
    await receiver.putArchive(tarFolder(staging), { path: HELPER_MOUNT_PATH })
  } finally {
    await removeHelperContainer(receiver, options.logger)
  }

  return { method: 'helper', result }
}

async function emptyVolume(
  docker: Docker,
  volume: ResolvedVolume,
  options: RestoreIntoVolumeOptions
): Promise<void> {
  const targets =
    options.paths && options.paths.length > 0
      ? options.paths.map((path) => `${HELPER_MOUNT_PATH}/${path.replace(/^\/+/, '')}`)
      : [`${HELPER_MOUNT_PATH}/..?*`, `${HELPER_MOUNT_PATH}/.[!.]*`, `${HELPER_MOUNT_PATH}/*`]

  for (const target of targets) {
    if (target.split('/').includes('..')) {
      throw new Error(`restore path "${target}" contains "..", which would leave the volume`)
    }
  }

  // The globs stay unquoted so the shell expands them, while explicit paths are quoted.
  const explicit = options.paths && options.paths.length > 0
  const args = targets
    .map((target) => (explicit ? `'${target.replace(/'/g, `'\\''`)}'` : target))
    .join(' ')
  const helper = await createHelperContainer(
    docker,
    volume.volume,
    {
      image: options.helperImage,
      jobId: options.jobId,
      readOnly: false,
      command: ['sh', '-c', `rm -rf -- ${args}`],
    },
    options.logger
  )

  try {
    await helper.start()
    const exit = (await helper.wait()) as { StatusCode: number }
    if (exit.StatusCode !== 0) {
      throw new Error(
        `helper container failed to empty volume ${volume.key} before the restore (exit code ${exit.StatusCode})`
      )
    }
  } finally {
    await removeHelperContainer(helper, options.logger)
  }
}

async function isVisibleFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}
