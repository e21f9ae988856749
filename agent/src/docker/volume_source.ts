import { mkdtemp, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type Docker from 'dockerode'
import type { BackupSource, BackupSourceKind } from '@coffer/sdk'
import { extractTar, tarFolder } from '../archive/tar_command.js'
import type { AgentLogger } from '../logger.js'
import {
  createHelperContainer,
  HELPER_MOUNT_PATH,
  removeHelperContainer,
} from './helper_container.js'
import type { ResolvedVolume } from './resolve_volume.js'

/**
 * How the agent reads a volume. `mountpoint` reads the host path directly. `container` requests
 * an archive from Docker through a container that mounts the volume. `helper` does the same
 * through a helper container that is created for the purpose and never started.
 */
export type CaptureMethod = 'mountpoint' | 'container' | 'helper'

/** Every method, in the order the agent tries them. */
export const CAPTURE_METHODS: readonly CaptureMethod[] = ['mountpoint', 'container', 'helper']

/** An opened volume: the source to hand to the engine, and what releases it. */
export interface OpenedVolumeSource {
  source: BackupSource
  method: CaptureMethod
  close(): Promise<void>
}

/** Options of `openVolumeSource`. */
export interface OpenVolumeSourceOptions {
  jobId: string
  helperImage: string
  /** Methods to try, in order. All of them by default. */
  methods?: readonly CaptureMethod[]
  /** Source kinds the engine accepts, from its manifest. */
  sources: readonly BackupSourceKind[]
  /** The job's private folder, for staging a tar stream when the engine accepts only a path. */
  workDir: string
  logger: AgentLogger
}

/**
 * Opens a volume for reading through its host path when the agent can see it, which is when the
 * agent runs on the host or the host path is mounted at the same place. Otherwise it reads a tar
 * stream from a container that mounts the volume, else from a helper container.
 */
export async function openVolumeSource(
  docker: Docker,
  volume: ResolvedVolume,
  options: OpenVolumeSourceOptions
): Promise<OpenedVolumeSource> {
  const opened = await openRawSource(docker, volume, options)
  try {
    return await adaptToEngine(opened, options)
  } catch (error) {
    await opened.close()
    throw error
  }
}

async function openRawSource(
  docker: Docker,
  volume: ResolvedVolume,
  options: OpenVolumeSourceOptions
): Promise<OpenedVolumeSource> {
  const methods = options.methods ?? CAPTURE_METHODS

  for (const method of methods) {
    if (method === 'mountpoint' && (await isVisibleFolder(volume.hostPath))) {
      return { source: { kind: 'path', path: volume.hostPath }, method, close: async () => {} }
    }

    if (method === 'container' && volume.containers.length > 0) {
      const mounting = volume.containers[0]
      const stream = await archiveOf(docker.getContainer(mounting.id), mounting.destination)
      const close = async () => {
        stream.destroy()
      }
      return { source: { kind: 'tar-stream', stream }, method, close }
    }

    if (method === 'helper') {
      const helper = await createHelperContainer(
        docker,
        volume.volume,
        { image: options.helperImage, jobId: options.jobId, readOnly: true },
        options.logger
      )

      try {
        const stream = await archiveOf(helper, HELPER_MOUNT_PATH)
        const close = async () => {
          stream.destroy()
          await removeHelperContainer(helper, options.logger)
        }
        return { source: { kind: 'tar-stream', stream }, method, close }
      } catch (error) {
        await removeHelperContainer(helper, options.logger)
        throw error
      }
    }
  }

  throw new Error(
    `no way to read volume ${volume.key} with methods ${methods.join(', ')}: its host path ${volume.hostPath} is not visible to the agent and no container mounts it`
  )
}

/**
 * Converts a source to a kind the engine accepts: a visible folder becomes a tar stream made by
 * the system's tar, and a tar stream is extracted into a staging folder in the job's folder.
 */
async function adaptToEngine(
  opened: OpenedVolumeSource,
  options: OpenVolumeSourceOptions
): Promise<OpenedVolumeSource> {
  if (options.sources.includes(opened.source.kind)) {
    return opened
  }

  if (opened.source.kind === 'path' && options.sources.includes('tar-stream')) {
    const folder = opened.source.path
    const stream = tarFolder(folder, {
      onFilesChanged: (stderr) =>
        options.logger.warn(
          { jobId: options.jobId, folder, tar: stderr },
          'files changed while tar read the volume, so their copies may be inconsistent'
        ),
    })
    const close = async () => {
      stream.destroy()
      await opened.close()
    }
    return { source: { kind: 'tar-stream', stream }, method: opened.method, close }
  }

  if (opened.source.kind === 'tar-stream' && options.sources.includes('path')) {
    // NOTE: staging needs free space in COFFER_WORK_DIR as large as the volume.
    const staging = await mkdtemp(join(options.workDir, 'capture-'))
    try {
      await extractTar(opened.source.stream, staging)
    } catch (error) {
      await rm(staging, { recursive: true, force: true })
      throw error
    }

    await opened.close()
    const close = async () => {
      await rm(staging, { recursive: true, force: true })
    }
    return { source: { kind: 'path', path: staging }, method: opened.method, close }
  }

  throw new Error(
    `the engine accepts sources ${options.sources.join(', ')}, none of which the agent can provide`
  )
}

// The trailing `/.` makes Docker return the folder's content with `./`-relative names instead of
// entries under the folder's own name.
async function archiveOf(container: Docker.Container, folder: string): Promise<Readable> {
  const path = folder.replace(/\/+$/, '') + '/.'
  return (await container.getArchive({ path })) as unknown as Readable
}

async function isVisibleFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}
