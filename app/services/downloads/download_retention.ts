import env from '#start/env'

/** Hours a download archive stays available after its upload (DOWNLOAD_RETENTION_HOURS). */
export function downloadRetentionHours() {
  return env.get('DOWNLOAD_RETENTION_HOURS', 24)
}
