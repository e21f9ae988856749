import type Docker from 'dockerode'
import type { AgentLogger } from '../logger.js'
import { JobError } from '../jobs/job_error.js'
import { isNotFound } from './client.js'
import type { ResolvedVolume } from './resolve_volume.js'

/** Docker's rule for volume names: a letter or digit, then letters, digits, `_`, `.` or `-`. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/

/** Label that marks a volume created by a restore, with the creating job's id. */
const CREATED_BY_LABEL = 'coffer.restore-job'

/**
 * Creates the empty volume a restore writes into, under a name that is new on this host. Docker
 * returns the existing volume when a create request repeats a name. So the label is checked
 * afterwards, and a volume without this job's label is rejected untouched.
 */
export async function createRestoreVolume(
  docker: Docker,
  name: string,
  origin: { jobId: string; snapshotId: string }
): Promise<ResolvedVolume> {
  if (!VOLUME_NAME.test(name) || name.length > 255) {
    throw new JobError(
      'INVALID_ARGUMENT',
      `"${name}" is not a valid Docker volume name: use letters, digits, "_", "." and "-", starting with a letter or digit`
    )
  }

  if (await volumeExists(docker, name)) {
    throw alreadyExists(name)
  }

  await docker.createVolume({
    Name: name,
    Labels: { [CREATED_BY_LABEL]: origin.jobId, 'coffer.restored-from': origin.snapshotId },
  })
  const info = await docker.getVolume(name).inspect()
  if (info.Labels?.[CREATED_BY_LABEL] !== origin.jobId) {
    throw alreadyExists(name)
  }

  return {
    key: name,
    volume: { type: 'volume', name },
    hostPath: info.Mountpoint,
    containers: [],
  }
}

/**
 * Removes a volume this job created, after a failed restore, so that no half-restored volume is
 * left behind. A volume that another job created, or that a container started to use in the
 * meantime, stays.
 */
export async function removeRestoreVolume(
  docker: Docker,
  name: string,
  jobId: string,
  logger: AgentLogger
): Promise<boolean> {
  try {
    const info = await docker.getVolume(name).inspect()
    if (info.Labels?.[CREATED_BY_LABEL] !== jobId) {
      return false
    }

    await docker.getVolume(name).remove()
    return true
  } catch (error) {
    logger.warn(
      { err: error, volume: name, jobId },
      'failed to remove the volume of a failed restore'
    )
    return false
  }
}

async function volumeExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getVolume(name).inspect()
    return true
  } catch (error) {
    if (isNotFound(error)) {
      return false
    }

    throw error
  }
}

function alreadyExists(name: string): JobError {
  return new JobError(
    'ALREADY_EXISTS',
    `volume "${name}" already exists on this host; the restore leaves it untouched. Choose a new volume name, or restore in place`
  )
}
