import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import type {
  ResticRepositoryLocation,
  Storage,
  StorageCallOptions,
  StorageObject,
  StorageRange,
} from '@coffer/sdk'
import type { SftpDestinationConfig, SftpSecrets } from './config.js'
import { DestinationError } from './destination_error.js'
import { connectSftp, DEFAULT_SFTP_TIMEOUT_MS } from './sftp_connect.js'
import type { SftpConnection } from './sftp_connect.js'
import { readStreamPipelined } from './sftp_download.js'
import { mapSftpError } from './sftp_errors.js'
import { ensureRemoteFolder, listRemoteFolder } from './sftp_paths.js'
import { hasSftpStatus, SFTP_STATUS, SftpRequests } from './sftp_requests.js'
import { ResticSshFiles } from './sftp_restic.js'
import { throwIfAborted, writeStreamPipelined } from './sftp_upload.js'
import { assertStorageKey, joinRemotePath, parentPath, PARTIAL_PREFIX } from './storage_key.js'

interface Session {
  connection: SftpConnection
  requests: SftpRequests
  /** Folders known to exist, so uploads skip the walk down from the root. */
  folders: Set<string>
}

/** Storage on an SFTP server, through ssh2, with an optional jump host and a pinned host key. */
export class SftpStorage implements Storage {
  readonly kind = 'sftp'
  readonly #config: SftpDestinationConfig
  readonly #secrets: SftpSecrets
  #session: Promise<Session> | null = null
  #resticFiles: ResticSshFiles | null = null
  #closed = false

  constructor(config: SftpDestinationConfig, secrets: SftpSecrets) {
    if (!config.path.startsWith('/')) {
      throw new DestinationError(
        'INVALID_CONFIG',
        `the SFTP path ${JSON.stringify(config.path)} is not absolute: start it with "/", such as /upload/coffer`
      )
    }

    this.#config = config
    this.#secrets = secrets
  }

  /** Connects now rather than on the first operation, and returns the connection's SFTP requests. */
  async connect(): Promise<SftpRequests> {
    const session = await this.#open()
    return session.requests
  }

  async put(
    key: string,
    body: Readable,
    options: StorageCallOptions = {}
  ): Promise<{ size: number }> {
    assertStorageKey(key)
    const path = joinRemotePath(this.#config.path, key)
    const folder = parentPath(path)
    const name = path.slice(folder.length + 1)
    const temporary = joinRemotePath(
      folder,
      `${PARTIAL_PREFIX}${randomBytes(6).toString('hex')}.${name}`
    )

    let session: Session
    try {
      throwIfAborted(options.signal)
      session = await this.#open()
      await ensureRemoteFolder(session.requests, folder, session.folders, this.#config.username)
    } catch (error) {
      body.destroy()
      throw mapSftpError(error, this.#config, 'write', key)
    }

    const { requests } = session
    let handle: Buffer | undefined
    try {
      handle = await requests.open(temporary, 'w')
      const written = await writeStreamPipelined(requests, handle, body, options.signal)
      await requests.close(handle)
      handle = undefined

      const stored = await requests.stat(temporary)
      if (stored.size !== written) {
        throw new DestinationError(
          'SIZE_MISMATCH',
          `the server stored ${stored.size} bytes of ${key} but ${written} were sent: retry the upload and check the server's free space`,
          { details: { path: key } }
        )
      }

      if (!requests.hasPosixRename) {
        // Plain SFTP rename fails when the target exists.
        await requests.unlink(path).catch(() => undefined)
      }

      await requests.rename(temporary, path)
      return { size: written }
    } catch (error) {
      body.destroy()
      if (handle) {
        await requests.close(handle).catch(() => undefined)
      }

      // NOTE: when the connection is lost, the temporary file stays behind under its hidden name.
      await requests.unlink(temporary).catch(() => undefined)
      throw mapSftpError(error, this.#config, 'write', key)
    }
  }

  async get(
    key: string,
    options: StorageCallOptions & { range?: StorageRange } = {}
  ): Promise<Readable> {
    assertStorageKey(key)
    const path = joinRemotePath(this.#config.path, key)

    try {
      throwIfAborted(options.signal)
      const { requests } = await this.#open()
      const stats = await requests.stat(path)
      if (!stats.isFile()) {
        throw new DestinationError('NOT_FOUND', `object ${key} not found: ${path} is not a file`, {
          details: { path: key },
        })
      }

      const start = options.range?.offset ?? 0
      const length = options.range?.length ?? Math.max(stats.size - start, 0)
      const end = Math.min(start + length, stats.size) - 1
      if (end < start) {
        return Readable.from([])
      }

      // Opening first turns a permission error into a rejection instead of a stream error.
      const handle = await requests.open(path, 'r')
      const stream = readStreamPipelined(requests, handle, start, end)
      options.signal?.addEventListener('abort', () => stream.destroy(options.signal?.reason), {
        once: true,
      })
      return stream
    } catch (error) {
      throw mapSftpError(error, this.#config, 'read', key)
    }
  }

  async list(prefix: string, options: StorageCallOptions = {}): Promise<StorageObject[]> {
    assertStorageKey(prefix, true)
    const slash = prefix.lastIndexOf('/')
    const folderKey = slash === -1 ? '' : prefix.slice(0, slash + 1)
    const objects: StorageObject[] = []

    try {
      throwIfAborted(options.signal)
      const { requests } = await this.#open()
      await listRemoteFolder(
        requests,
        this.#config.path,
        folderKey,
        prefix,
        objects,
        options.signal
      )
      return objects
    } catch (error) {
      throw mapSftpError(error, this.#config, 'read', prefix)
    }
  }

  async stat(key: string, options: StorageCallOptions = {}): Promise<StorageObject | null> {
    assertStorageKey(key)

    try {
      throwIfAborted(options.signal)
      const { requests } = await this.#open()
      const stats = await requests.stat(joinRemotePath(this.#config.path, key))
      if (!stats.isFile()) {
        return null
      }

      return { key, size: stats.size, modifiedAt: new Date(stats.mtime * 1000) }
    } catch (error) {
      if (hasSftpStatus(error, SFTP_STATUS.NO_SUCH_FILE)) {
        return null
      }

      throw mapSftpError(error, this.#config, 'read', key)
    }
  }

  async delete(key: string, options: StorageCallOptions = {}): Promise<void> {
    assertStorageKey(key)

    try {
      throwIfAborted(options.signal)
      const { requests } = await this.#open()
      await requests.unlink(joinRemotePath(this.#config.path, key))
    } catch (error) {
      if (hasSftpStatus(error, SFTP_STATUS.NO_SUCH_FILE)) {
        return
      }

      throw mapSftpError(error, this.#config, 'write', key)
    }
  }

  async resticLocation(key: string): Promise<ResticRepositoryLocation> {
    assertStorageKey(key)
    this.#resticFiles ??= new ResticSshFiles(this.#config, this.#secrets)
    return this.#resticFiles.location(joinRemotePath(this.#config.path, key))
  }

  async close(): Promise<void> {
    this.#closed = true
    const session = this.#session
    this.#session = null
    if (session) {
      const opened = await session.catch(() => null)
      opened?.connection.end()
    }

    await this.#resticFiles?.remove()
    this.#resticFiles = null
  }

  #open(): Promise<Session> {
    if (this.#closed) {
      return Promise.reject(
        new DestinationError('FAILED', 'the SFTP storage is closed: open a new one')
      )
    }

    if (this.#session) {
      return this.#session
    }

    const timeoutMs = this.#config.timeoutMs ?? DEFAULT_SFTP_TIMEOUT_MS
    const opening = connectSftp(this.#config, this.#secrets).then((connection) => {
      const requests = new SftpRequests(connection.sftp, timeoutMs, () => connection.end())
      const forget = () => {
        requests.markClosed('the SSH connection closed')
        if (this.#session === opening) {
          this.#session = null
        }
      }

      // A later operation reconnects after the connection drops or its SFTP channel closes.
      connection.client.on('close', forget)
      connection.sftp.on('close', forget)
      return { connection, requests, folders: new Set<string>() }
    })

    this.#session = opening
    opening.catch(() => {
      if (this.#session === opening) {
        this.#session = null
      }
    })
    return opening
  }
}
