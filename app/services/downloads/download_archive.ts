import { constants } from 'node:fs'
import { lstat, open } from 'node:fs/promises'
import { DateTime } from 'luxon'
import type Job from '#models/job'
import { downloadArchivePath } from '#services/downloads/download_paths'
import { downloadRetentionHours } from '#services/downloads/download_retention'

/** Whether the archive of an `extract` job can be downloaded, and why not. */
export type DownloadArchiveState =
  | { state: 'ready'; path: string }
  | { state: 'not-ready' }
  | { state: 'expired'; message: string }
  | { state: 'missing'; message: string }

/** Statuses after which an `extract` job has uploaded its whole archive. */
const UPLOADED_STATUSES = new Set(['succeeded', 'succeeded_with_warnings'])

/**
 * Looks for the archive of a job without following links. A job that uploaded its archive but
 * has none any more is `expired` once the retention has passed since it ended, and `missing`
 * before that (removed by hand, or received by another controller).
 */
export async function downloadArchiveState(job: Job): Promise<DownloadArchiveState> {
  if (job.kind !== 'extract' || !UPLOADED_STATUSES.has(job.status)) {
    return { state: 'not-ready' }
  }

  const path = downloadArchivePath(job.id)
  const stats = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      return null
    }
    throw error
  })
  if (stats?.isFile()) {
    return { state: 'ready', path }
  }

  const hours = downloadRetentionHours()
  const endedAt = job.finishedAt ?? job.updatedAt
  const expired = !endedAt || DateTime.now().diff(endedAt, 'hours').hours >= hours
  if (expired) {
    return { state: 'expired', message: expiredDownloadMessage(hours) }
  }
  return {
    state: 'missing',
    message:
      'The archive of this download is not on this controller: it was removed, or another ' +
      'controller received the upload. Press Download again on the snapshot page to extract ' +
      'the files anew.',
  }
}

/** Builds the message shown for an archive deleted after `hours` of retention. */
export function expiredDownloadMessage(hours: number) {
  const unit = hours === 1 ? 'hour' : 'hours'
  return (
    `This download expired: the controller deletes download archives ${hours} ${unit} after ` +
    'the upload. Press Download again on the snapshot page to extract the files anew.'
  )
}

/**
 * Opens a ready archive for reading. O_NOFOLLOW makes the open fail if a link replaced the file
 * after `downloadArchiveState` checked it.
 */
export function openDownloadArchive(path: string) {
  return open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
}
