import type { SftpDestinationConfig } from './config.js'
import { DestinationError, isDestinationError } from './destination_error.js'
import { hasSftpStatus, SFTP_STATUS } from './sftp_requests.js'

/** Converts an ssh2 SFTP error on `key` into a `DestinationError` with its reason. */
export function mapSftpError(
  error: unknown,
  config: SftpDestinationConfig,
  access: 'read' | 'write',
  key: string
): DestinationError {
  if (isDestinationError(error)) {
    return error
  }

  const where = `${config.host}:${config.port ?? 22}`
  const details = { host: where, path: key }
  if (hasSftpStatus(error, SFTP_STATUS.NO_SUCH_FILE)) {
    return new DestinationError('NOT_FOUND', `object ${key} not found on ${where}`, {
      details,
      cause: error,
    })
  }

  if (hasSftpStatus(error, SFTP_STATUS.PERMISSION_DENIED)) {
    const reason = access === 'write' ? 'PATH_NOT_WRITABLE' : 'PERMISSION_DENIED'
    return new DestinationError(
      reason,
      `the SFTP server ${where} denied ${access} access to ${key} under ${config.path}: check the folder's owner and permissions for ${config.username}`,
      { details, cause: error }
    )
  }

  // ssh2 fails pending requests with this message when the connection or channel closes.
  const message = error instanceof Error ? error.message : String(error)
  if (message === 'No response from server') {
    return new DestinationError(
      'FAILED',
      `the SSH connection to ${where} was lost during the ${access} of ${key}: retry the operation`,
      { details, cause: error }
    )
  }

  return new DestinationError('FAILED', `SFTP ${access} of ${key} on ${where} failed: ${message}`, {
    details,
    cause: error,
  })
}
