import { LocalStorage } from '@coffer/sdk'
import type { Storage } from '@coffer/sdk'
import type { DestinationConfig, DestinationSecrets } from './config.js'
import { DestinationError } from './destination_error.js'
import { S3Storage } from './s3_storage.js'
import { SftpStorage } from './sftp_storage.js'

/**
 * Opens the storage of a destination. Nothing connects until the first operation; call `close`
 * when done to release connections and temporary files.
 */
export function openStorage(config: DestinationConfig, secrets: DestinationSecrets = {}): Storage {
  switch (config.kind) {
    case 'local':
      if (!config.path.startsWith('/')) {
        throw new DestinationError(
          'INVALID_CONFIG',
          `the local folder ${JSON.stringify(config.path)} is not absolute: use a path such as /backups`
        )
      }

      return new LocalStorage(config.path)
    case 'sftp':
      return new SftpStorage(config, secrets)
    case 's3':
      return new S3Storage(config, secrets)
    default:
      throw new DestinationError(
        'INVALID_CONFIG',
        `unknown destination kind ${JSON.stringify((config as { kind?: unknown }).kind)}: use local, sftp or s3`
      )
  }
}
