import type { StorageObject } from '@coffer/sdk'
import { DestinationError } from './destination_error.js'
import { hasSftpStatus, SFTP_STATUS } from './sftp_requests.js'
import type { SftpRequests } from './sftp_requests.js'
import { throwIfAborted } from './sftp_upload.js'
import { joinRemotePath, parentPath, PARTIAL_PREFIX } from './storage_key.js'

/**
 * Creates `folder` and its missing parents, starting below the deepest existing ancestor, so a
 * chrooted account never has to write at `/`. `known` caches folders that exist.
 */
export async function ensureRemoteFolder(
  requests: SftpRequests,
  folder: string,
  known: Set<string>,
  username: string
): Promise<void> {
  if (known.has(folder)) {
    return
  }

  const missing: string[] = []
  let current = folder
  while (current !== '/') {
    const exists = await requests.stat(current).then(
      (stats) => stats.isDirectory(),
      (error) => {
        if (hasSftpStatus(error, SFTP_STATUS.NO_SUCH_FILE)) {
          return false
        }

        throw error
      }
    )
    if (exists) {
      break
    }

    missing.unshift(current)
    current = parentPath(current)
  }

  for (const path of missing) {
    await requests.mkdir(path).catch(async (error) => {
      // Another upload may have created it meanwhile.
      const stats = await requests.stat(path).catch(() => null)
      if (!stats?.isDirectory()) {
        throw new DestinationError(
          'PATH_NOT_WRITABLE',
          `cannot create folder ${path} on the SFTP server: check that ${username} may write to its parent`,
          { details: { path }, cause: error }
        )
      }
    })
  }

  known.add(folder)
}

/**
 * Appends to `objects` the files under `root/folderKey` whose key starts with `prefix`, walking
 * only into folders that can contain such keys and skipping unfinished uploads.
 */
export async function listRemoteFolder(
  requests: SftpRequests,
  root: string,
  folderKey: string,
  prefix: string,
  objects: StorageObject[],
  signal?: AbortSignal
): Promise<void> {
  throwIfAborted(signal)
  const folderPath = joinRemotePath(root, folderKey.replace(/\/$/, ''))

  let entries
  try {
    entries = await requests.readdir(folderPath)
  } catch (error) {
    if (hasSftpStatus(error, SFTP_STATUS.NO_SUCH_FILE)) {
      return
    }

    throw error
  }

  for (const entry of entries) {
    const key = `${folderKey}${entry.filename}`
    if (entry.filename.startsWith(PARTIAL_PREFIX)) {
      continue
    }

    if (entry.attrs.isDirectory()) {
      const childFolder = `${key}/`
      if (childFolder.startsWith(prefix) || prefix.startsWith(childFolder)) {
        await listRemoteFolder(requests, root, childFolder, prefix, objects, signal)
      }

      continue
    }

    if (entry.attrs.isFile() && key.startsWith(prefix)) {
      objects.push({ key, size: entry.attrs.size, modifiedAt: new Date(entry.attrs.mtime * 1000) })
    }
  }
}
