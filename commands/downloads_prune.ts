import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/**
 * Deletes the download archives older than DOWNLOAD_RETENTION_HOURS, for admins who run it from
 * cron. The web server also runs the same pruning once an hour.
 */
export default class DownloadsPrune extends BaseCommand {
  static commandName = 'downloads:prune'
  static description =
    'Delete the download archives in tmp/downloads older than DOWNLOAD_RETENTION_HOURS (24 by default)'

  static options: CommandOptions = {
    startApp: true,
  }

  async run() {
    const { downloadsFolder } = await import('#services/downloads/download_paths')
    const { downloadRetentionHours } = await import('#services/downloads/download_retention')
    const { pruneDownloads } = await import('#services/downloads/prune_downloads')

    const retentionHours = downloadRetentionHours()
    const result = await pruneDownloads({ folder: downloadsFolder(), retentionHours })

    const removed = `removed ${result.removedArchives} archive(s) older than ${retentionHours} hour(s), ${result.removedPartialUploads} abandoned partial upload(s) and ${result.removedLinks} symbolic link(s); kept ${result.keptFiles}`
    if (result.failed > 0) {
      this.logger.error(`${removed}; ${result.failed} could not be removed (see the log above)`)
      this.exitCode = 1
      return
    }
    this.logger.success(removed)
  }
}
