import type { Readable } from 'node:stream'

/** Metadata of one stored object, as a destination reports it. */
export interface StorageObject {
  /** Key relative to the storage root, with `/` as separator. */
  key: string
  /** Size in bytes. */
  size: number
  modifiedAt: Date
}

/** Options shared by every storage operation. */
export interface StorageCallOptions {
  /** Aborts the operation; a put aborted midway leaves nothing under the final key. */
  signal?: AbortSignal
}

/** Byte range of a `get`, counted from the start of the object. */
export interface StorageRange {
  offset: number
  /** Bytes to read; the rest of the object when omitted. */
  length?: number
}

/**
 * Where a restic repository lives, in restic's own terms. The host creates any helper files
 * (known_hosts, private keys) with mode 0600 in a private folder and removes them on `dispose`.
 */
export interface ResticRepositoryLocation {
  /** The `--repo` value, for example `/backups/coffer/restic`, `sftp:...` or `s3:https://...`. */
  repository: string
  /** Variables for the restic child process only, such as AWS_ACCESS_KEY_ID. Secret. */
  environment: Record<string, string>
  /** Extra `-o key=value` options, such as `sftp.command=...`. Never contains a secret. */
  options: string[]
}

/**
 * A destination that engines write artifacts to. Implementations: the local folder in this
 * package, and the SFTP and S3 drivers of the agent.
 *
 * Keys are relative, use `/` as separator and never contain `..` segments.
 */
export interface Storage {
  /** Short name of the driver, such as `local`, `sftp` or `s3`. */
  readonly kind: string

  /**
   * Uploads a stream under `key`. The object becomes visible under `key` only once complete, and
   * the stored size is checked against the bytes read. Returns the size in bytes.
   */
  put(key: string, body: Readable, options?: StorageCallOptions): Promise<{ size: number }>

  /** Opens an object for reading; rejects with a `StorageError` of code `NOT_FOUND` if absent. */
  get(key: string, options?: StorageCallOptions & { range?: StorageRange }): Promise<Readable>

  /** Lists the objects whose key starts with `prefix`, in no particular order. */
  list(prefix: string, options?: StorageCallOptions): Promise<StorageObject[]>

  /** Returns an object's metadata, or null when it does not exist. */
  stat(key: string, options?: StorageCallOptions): Promise<StorageObject | null>

  /** Deletes an object; deleting a missing object is not an error. */
  delete(key: string, options?: StorageCallOptions): Promise<void>

  /**
   * Describes a restic repository stored under `key` (a folder) in restic's terms, or rejects
   * with code `UNSUPPORTED` when the driver cannot host one.
   */
  resticLocation?(key: string): Promise<ResticRepositoryLocation>

  /** Releases connections and temporary files. The storage is unusable afterwards. */
  close(): Promise<void>
}
