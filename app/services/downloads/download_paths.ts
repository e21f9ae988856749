import app from '@adonisjs/core/services/app'

/** File name suffix of an upload still being received; it is renamed when the upload ends. */
export const PARTIAL_UPLOAD_SUFFIX = '.part'

/** Folder of the archives that `extract` jobs upload for the user's download. */
export function downloadsFolder() {
  return app.tmpPath('downloads')
}

/** Path of the finished archive of an `extract` job, which the job page links. */
export function downloadArchivePath(jobId: string) {
  return app.tmpPath('downloads', `${jobId}.tar`)
}

/** Path the upload of an `extract` job writes to before it is complete. */
export function partialUploadPath(jobId: string) {
  return downloadArchivePath(jobId) + PARTIAL_UPLOAD_SUFFIX
}
