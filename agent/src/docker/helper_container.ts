import type Docker from 'dockerode'
import type { AgentLogger } from '../logger.js'
import { isNotFound } from './client.js'
import type { ResourceVolume } from './resolve_volume.js'

/** Where a helper container mounts the volume. */
export const HELPER_MOUNT_PATH = '/coffer-volume'

/** Options of `createHelperContainer`. */
export interface HelperContainerOptions {
  image: string
  jobId: string
  readOnly: boolean
  /** Command of a helper that is started. A helper that is never started keeps `true`. */
  command?: string[]
}

/**
 * Creates a container from the helper image that mounts the volume at `HELPER_MOUNT_PATH`, with
 * no network. Docker's archive endpoints work on a created container, so a backup never starts
 * it. Pulls the image when the host does not have it.
 */
export async function createHelperContainer(
  docker: Docker,
  volume: ResourceVolume,
  options: HelperContainerOptions,
  logger: AgentLogger
): Promise<Docker.Container> {
  await ensureImage(docker, options.image, logger)

  const mode = options.readOnly ? 'ro' : 'rw'
  const bind =
    volume.type === 'volume'
      ? `${volume.name}:${HELPER_MOUNT_PATH}:${mode}`
      : `${volume.source}:${HELPER_MOUNT_PATH}:${mode}`

  return docker.createContainer({
    Image: options.image,
    Cmd: options.command ?? ['true'],
    Labels: { 'coffer.helper': 'true', 'coffer.job': options.jobId },
    NetworkDisabled: true,
    HostConfig: { Binds: [bind], NetworkMode: 'none', AutoRemove: false },
  })
}

/** Removes a helper container. A container that is already gone is not an error. */
export async function removeHelperContainer(
  container: Docker.Container,
  logger: AgentLogger
): Promise<void> {
  try {
    await container.remove({ force: true, v: false })
  } catch (error) {
    if (!isNotFound(error)) {
      logger.warn(
        { err: error, containerId: container.id },
        'failed to remove a helper container; remove it with docker rm'
      )
    }
  }
}

async function ensureImage(docker: Docker, image: string, logger: AgentLogger): Promise<void> {
  try {
    await docker.getImage(image).inspect()
    return
  } catch (error) {
    if (!isNotFound(error)) {
      throw error
    }
  }

  logger.info({ image }, 'pulling the helper image')
  try {
    const stream = await docker.pull(image)
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null) =>
        error ? reject(error) : resolve()
      )
    })
  } catch (error) {
    throw new Error(
      `helper image ${image} is missing and could not be pulled (${(error as Error).message}); pull it on the host or set COFFER_HELPER_IMAGE to a local image`,
      { cause: error }
    )
  }
}
