import { randomBytes } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { PassThrough, Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { StorageError } from './errors.js'
import type {
  ResticRepositoryLocation,
  Storage,
  StorageCallOptions,
  StorageObject,
  StorageRange,
} from './storage.js'

/** Prefix of the temporary files a `put` writes before renaming; `list` never returns them. */
const PARTIAL_PREFIX = '.coffer-partial-'

/** Mode of stored objects and created folders: backups are private to the agent's user. */
const FILE_MODE = 0o600
const FOLDER_MODE = 0o700

/**
 * Checks a storage key and returns its `/`-separated segments. Keys are relative, non-empty,
 * without NUL bytes, empty segments, `.` or `..` segments, and never name a temporary file.
 */
export function parseStorageKey(key: string): string[] {
  if (typeof key !== 'string' || key.length === 0) {
    throw invalidKey(key, 'the key is empty')
  }

  if (key.includes('\0')) {
    throw invalidKey(key, 'the key contains a NUL byte')
  }

  if (key.startsWith('/')) {
    throw invalidKey(key, 'the key is absolute; use a path relative to the storage root')
  }

  const segments = key.split('/')
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw invalidKey(key, `the key contains the segment "${segment}"`)
    }

    if (segment.startsWith(PARTIAL_PREFIX)) {
      throw invalidKey(key, `the segment "${segment}" uses the reserved prefix ${PARTIAL_PREFIX}`)
    }
  }

  return segments
}

/**
 * A `Storage` on a local folder, for tests, the conformance kit and local-folder destinations.
 * A `put` writes a temporary file in the target folder, checks its size, fsyncs it and renames
 * it, so a key is only ever visible with complete content.
 */
export class LocalStorage implements Storage {
  readonly kind = 'local'

  /** Absolute path of the folder that contains the objects. */
  readonly root: string

  #closed = false

  constructor(root: string) {
    this.root = path.resolve(root)
  }

  /** Writes `body` under `key`, replacing an existing object only once the new one is complete. */
  async put(
    key: string,
    body: Readable,
    options: StorageCallOptions = {}
  ): Promise<{ size: number }> {
    this.#checkOpen()
    checkSignal(options.signal, 'put', key)

    const target = this.#pathOf(key)
    const folder = path.dirname(target)
    const partial = path.join(folder, `${PARTIAL_PREFIX}${randomBytes(8).toString('hex')}`)

    const handle = await openPartial(folder, partial, key)
    let size = 0
    try {
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          size += chunk.length
          callback(null, chunk)
        },
      })
      // `flush` makes the stream fsync the file before it closes the handle.
      const output = handle.createWriteStream({ flush: true })
      await pipeline(body, counter, output, { signal: options.signal })

      const written = await fs.stat(partial)
      if (written.size !== size) {
        throw new StorageError(
          'STORAGE',
          `put of "${key}" wrote ${written.size} bytes but the stream produced ${size}; retry the upload`,
          { details: { key, expected: size, actual: written.size } }
        )
      }

      await fs.rename(partial, target)
      await syncFolder(folder)
      return { size }
    } catch (error) {
      await handle.close().catch(() => {})
      await fs.rm(partial, { force: true })
      throw wrapError(error, 'put', key, options.signal)
    }
  }

  /** Opens `key` for reading, optionally only the bytes of `range`. */
  async get(
    key: string,
    options: StorageCallOptions & { range?: StorageRange } = {}
  ): Promise<Readable> {
    this.#checkOpen()
    checkSignal(options.signal, 'get', key)

    const file = this.#pathOf(key)
    const range = options.range
    if (range !== undefined) {
      checkRange(key, range)
    }

    let handle: fs.FileHandle
    try {
      handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW)
    } catch (error) {
      throw wrapError(error, 'get', key, options.signal)
    }

    const info = await handle.stat().catch(async (error: unknown) => {
      await handle.close()
      throw wrapError(error, 'get', key, options.signal)
    })
    if (!info.isFile()) {
      await handle.close()
      throw notFound(key)
    }

    if (range?.length === 0) {
      await handle.close()
      return Readable.from([])
    }

    const start = range?.offset ?? 0
    const end = range?.length === undefined ? undefined : start + range.length - 1
    const stream = handle.createReadStream({ start, end, autoClose: true })
    if (options.signal === undefined) {
      return stream
    }

    const output = new PassThrough()
    pipeline(stream, output, { signal: options.signal }).catch((error) => {
      output.destroy(wrapError(error, 'get', key, options.signal))
    })
    return output
  }

  /** Lists the regular files whose key starts with `prefix`, skipping unfinished puts. */
  async list(prefix: string, options: StorageCallOptions = {}): Promise<StorageObject[]> {
    this.#checkOpen()
    checkSignal(options.signal, 'list', prefix)

    if (prefix.includes('\0') || prefix.startsWith('/')) {
      throw invalidKey(prefix, 'a prefix must be relative and contain no NUL byte')
    }

    const folderPart = prefix.slice(0, prefix.lastIndexOf('/') + 1)
    if (folderPart.split('/').some((segment) => segment === '..' || segment === '.')) {
      throw invalidKey(prefix, 'a prefix must not contain "." or ".." segments')
    }

    const objects: StorageObject[] = []
    await this.#walk(folderPart.replace(/\/+$/, ''), prefix, objects, options.signal)
    return objects
  }

  /** Returns the metadata of `key`, or null when no regular file is stored under it. */
  async stat(key: string, options: StorageCallOptions = {}): Promise<StorageObject | null> {
    this.#checkOpen()
    checkSignal(options.signal, 'stat', key)

    try {
      const info = await fs.lstat(this.#pathOf(key))
      if (!info.isFile()) {
        return null
      }

      return { key, size: info.size, modifiedAt: info.mtime }
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') {
        return null
      }

      throw wrapError(error, 'stat', key, options.signal)
    }
  }

  /** Deletes `key` and then every parent folder that became empty, up to the root. */
  async delete(key: string, options: StorageCallOptions = {}): Promise<void> {
    this.#checkOpen()
    checkSignal(options.signal, 'delete', key)

    const file = this.#pathOf(key)
    try {
      const info = await fs.lstat(file)
      if (info.isDirectory()) {
        throw new StorageError(
          'INVALID_ARGUMENT',
          `cannot delete "${key}": it is a folder, not an object; delete the objects under it instead`,
          { details: { key } }
        )
      }

      await fs.unlink(file)
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') {
        throw wrapError(error, 'delete', key, options.signal)
      }
    }

    await this.#removeEmptyParents(path.dirname(file))
  }

  /** Returns the folder of `key` as a local restic repository. */
  async resticLocation(key: string): Promise<ResticRepositoryLocation> {
    this.#checkOpen()
    return { repository: this.#pathOf(key), environment: {}, options: [] }
  }

  /** Marks the storage closed; later calls reject. There is nothing to release. */
  async close(): Promise<void> {
    this.#closed = true
  }

  #pathOf(key: string): string {
    return path.join(this.root, ...parseStorageKey(key))
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new StorageError('STORAGE', `local storage at ${this.root} is closed; open a new one`)
    }
  }

  async #walk(
    relative: string,
    prefix: string,
    objects: StorageObject[],
    signal: AbortSignal | undefined
  ): Promise<void> {
    checkSignal(signal, 'list', prefix)

    const folder = relative === '' ? this.root : path.join(this.root, relative)
    let entries
    try {
      entries = await fs.readdir(folder, { withFileTypes: true })
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') {
        return
      }

      throw wrapError(error, 'list', prefix, signal)
    }

    for (const entry of entries) {
      if (entry.name.startsWith(PARTIAL_PREFIX)) {
        continue
      }

      const key = relative === '' ? entry.name : `${relative}/${entry.name}`
      if (entry.isDirectory()) {
        const couldMatch = key.startsWith(prefix) || prefix.startsWith(`${key}/`)
        if (couldMatch) {
          await this.#walk(key, prefix, objects, signal)
        }

        continue
      }

      if (!entry.isFile() || !key.startsWith(prefix)) {
        continue
      }

      const info = await fs.lstat(path.join(folder, entry.name)).catch(() => null)
      if (info?.isFile()) {
        objects.push({ key, size: info.size, modifiedAt: info.mtime })
      }
    }
  }

  async #removeEmptyParents(folder: string): Promise<void> {
    let current = folder
    while (current.startsWith(`${this.root}${path.sep}`)) {
      try {
        await fs.rmdir(current)
      } catch {
        // Not empty, already gone or in use by a concurrent put: stop here.
        return
      }

      current = path.dirname(current)
    }
  }
}

async function openPartial(folder: string, partial: string, key: string): Promise<fs.FileHandle> {
  const flags =
    fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW

  // A concurrent delete may remove the freshly created folder before the open, so retry once.
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.mkdir(folder, { recursive: true, mode: FOLDER_MODE })
      return await fs.open(partial, flags, FILE_MODE)
    } catch (error) {
      if (errorCode(error) === 'ENOENT' && attempt === 0) {
        continue
      }

      throw wrapError(error, 'put', key, undefined)
    }
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.open(folder, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function checkRange(key: string, range: StorageRange): void {
  const validOffset = Number.isSafeInteger(range.offset) && range.offset >= 0
  const validLength =
    range.length === undefined || (Number.isSafeInteger(range.length) && range.length >= 0)
  if (!validOffset || !validLength) {
    throw new StorageError(
      'INVALID_ARGUMENT',
      `invalid range for "${key}": offset ${range.offset}, length ${range.length}; use non-negative integers`,
      { details: { key, offset: range.offset, length: range.length } }
    )
  }
}

function checkSignal(signal: AbortSignal | undefined, operation: string, key: string): void {
  if (signal?.aborted) {
    throw new StorageError('CANCELLED', `${operation} of "${key}" was cancelled`, {
      details: { key },
    })
  }
}

function invalidKey(key: string, reason: string): StorageError {
  return new StorageError(
    'INVALID_ARGUMENT',
    `invalid storage key ${JSON.stringify(key)}: ${reason}`,
    {
      details: { key },
    }
  )
}

function notFound(key: string): StorageError {
  return new StorageError('NOT_FOUND', `object "${key}" not found in local storage`, {
    details: { key },
  })
}

function wrapError(
  error: unknown,
  operation: string,
  key: string,
  signal: AbortSignal | undefined
): StorageError {
  if (error instanceof StorageError) {
    return error
  }

  if (signal?.aborted) {
    return new StorageError('CANCELLED', `${operation} of "${key}" was cancelled`, {
      details: { key },
      cause: error,
    })
  }

  const code = errorCode(error)
  if (operation === 'get' && (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP')) {
    return notFound(key)
  }

  const reason = error instanceof Error ? error.message : String(error)
  return new StorageError(
    'STORAGE',
    `${operation} of "${key}" in local storage failed: ${reason}`,
    {
      details: { key, errno: code },
      cause: error,
    }
  )
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}
