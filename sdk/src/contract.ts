import type { Readable } from 'node:stream'
import type { Storage } from './storage.js'

/** Major versions of the engine API that this SDK speaks. */
export const ENGINE_API_VERSION = 1

/** The ways a volume's content can reach an engine. */
export type BackupSourceKind = 'path' | 'tar-stream'

/** Content of a volume handed to `backup`. */
export type BackupSource =
  /** A folder the engine may read but must not change (a volume's mount point). */
  | { kind: 'path'; path: string }
  /** A tar stream of the volume, as Docker's archive endpoint returns it. */
  | { kind: 'tar-stream'; stream: Readable }

/** Depth of a verification, from cheapest to most thorough. */
export type VerifyLevel = 'structure' | 'metadata' | 'data'

/** What an engine can do, declared in its manifest. */
export interface EngineCapabilities {
  /** Later snapshots store only what changed since earlier ones. */
  incremental: boolean
  /** Identical content is stored once across snapshots. */
  dedup: boolean
  /** The engine encrypts artifacts itself. */
  nativeEncryption: boolean
  /** `listFiles` works without restoring. */
  fileListing: boolean
  /** `restore` accepts a subset of paths. */
  partialRestore: boolean
  /** The verify levels `verify` accepts. */
  verifyLevels: VerifyLevel[]
  /** The backup sources the engine accepts. */
  sources: BackupSourceKind[]
}

/** Resources an engine needs at run time, declared in its manifest. */
export interface EnginePermissions {
  /** Executables the engine starts, such as `restic` or `tar`. */
  processes: string[]
  /** `destination`: connections to the destination only; `none`: no network at all. */
  network: 'none' | 'destination'
}

/** A secret the host generates once per destination and passes in `options`. */
export interface HostSecret {
  /** Option name the value is stored under. */
  name: string
  /** Random bytes, encoded as base64 (`base64`) or hex (`hex`). */
  encoding: 'base64' | 'hex'
  bytes: number
}

/** One artifact an engine wrote to storage. */
export interface Artifact {
  /** Storage key, relative to the engine's storage root. */
  key: string
  /** Size in bytes as stored. */
  size: number
  /** sha256 of the stored bytes, hex. */
  sha256: string
  /** What the artifact is, for example `archive` or `index`. */
  role: string
}

/** A snapshot as the host recorded it, passed back to every operation that reads it. */
export interface SnapshotRef {
  /** Coffer's snapshot id, chosen by the host. */
  id: string
  /** The engine's own id, such as a restic snapshot id, when it has one. */
  engineSnapshotId?: string
  /** The artifacts `backup` returned. */
  artifacts: Artifact[]
}

/** A warning about one path or about the whole job. */
export interface EngineWarning {
  code: string
  message: string
  /** Path inside the volume, as raw bytes encoded in base64 when it is not valid UTF-8. */
  path?: string
}

/** Counts reported by `backup`. */
export interface BackupStats {
  files: number
  directories: number
  /** Logical bytes read from the volume. */
  bytesRead: number
  /** Bytes written to storage. */
  bytesStored: number
}

export interface BackupRequest {
  snapshotId: string
  source: BackupSource
  /** Key-value tags stored with the snapshot, such as the resource id. */
  tags: Record<string, string>
}

export interface BackupResult {
  snapshot: SnapshotRef
  stats: BackupStats
  warnings: EngineWarning[]
}

/** A snapshot found at the destination by `listSnapshots`. */
export interface StoredSnapshot {
  /** Coffer's id, when the snapshot carries one. */
  id?: string
  engineSnapshotId?: string
  time: Date
  tags: Record<string, string>
}

export type FileType =
  'file' | 'directory' | 'symlink' | 'hardlink' | 'fifo' | 'character' | 'block' | 'socket'

/** One entry of a snapshot. */
export interface FileEntry {
  /** Path relative to the volume root, `/`-separated. */
  path: string
  type: FileType
  size: number
  mode: number
  uid: number
  gid: number
  mtime: Date
  /** Target of a symbolic or hard link. */
  linkTarget?: string
}

export interface ListFilesRequest {
  snapshot: SnapshotRef
  /** Lists only entries under this folder (recursively) when given. */
  prefix?: string
}

/** `replace`: the target ends as exactly the snapshot's tree. `merge`: nothing else is removed. */
export type RestoreMode = 'replace' | 'merge'

export interface RestoreRequest {
  snapshot: SnapshotRef
  /** An existing folder; nothing is ever written outside it. */
  target: string
  /** Paths to restore (files or folders, relative to the volume root); everything when omitted. */
  paths?: string[]
  mode: RestoreMode
}

/** An archive entry that restore refused to write. */
export interface RejectedEntry {
  path: string
  reason: string
}

export interface RestoreResult {
  files: number
  directories: number
  bytesWritten: number
  rejected: RejectedEntry[]
  /** In merge mode, paths present in the target that the snapshot does not contain. */
  leftInPlace: string[]
  warnings: EngineWarning[]
}

export interface ForgetRequest {
  /** Snapshots to remove, chosen by the host's retention. */
  snapshots: SnapshotRef[]
}

export interface VerifyRequest {
  snapshot: SnapshotRef
  level: VerifyLevel
  /** For `data`: the fraction of data to read, from 0 to 1; all of it when omitted. */
  readFraction?: number
}

export interface VerifyResult {
  ok: boolean
  problems: string[]
}

/** Progress of a long operation. */
export interface Progress {
  phase: string
  bytesDone: number
  bytesTotal?: number
  filesDone?: number
  filesTotal?: number
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** What the host gives every engine call. */
export interface EngineContext {
  /** The destination, rooted at this engine's folder for the destination. */
  storage: Storage
  /** Per-destination options, validated against the manifest's schema, secrets included. */
  options: Record<string, unknown>
  /** A private scratch folder, removed by the host after the call. */
  workDir: string
  signal: AbortSignal
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void
  progress(progress: Progress): void
}

/** Run-time facts that an engine adds to its manifest, such as the versions of its tools. */
export interface EngineSelfDescription {
  /** Versions of the programs the engine runs, by program name, e.g. `{ restic: '0.14.0' }`. */
  tools?: Record<string, string>
}

/** An engine as `describe` reports it: its manifest's identity and what it found at run time. */
export interface EngineDescription {
  id: string
  version: string
  capabilities: EngineCapabilities
  tools: Record<string, string>
}

/** The operations every engine implements. */
export interface EngineOperations {
  /**
   * Reports the versions of the programs the engine runs, checked with the call's options (for
   * example a configured binary path). Optional: without it, `describe` reports no tools.
   */
  describe?(context: EngineContext): Promise<EngineSelfDescription>
  /**
   * Checks options beyond the JSON Schema (which the host has already applied). Returns a
   * message per invalid field; an empty object when the options are valid.
   */
  validateOptions?(
    options: Record<string, unknown>
  ): Promise<Record<string, string>> | Record<string, string>
  backup(context: EngineContext, request: BackupRequest): Promise<BackupResult>
  listSnapshots(context: EngineContext): Promise<StoredSnapshot[]>
  listFiles(context: EngineContext, request: ListFilesRequest): Promise<FileEntry[]>
  restore(context: EngineContext, request: RestoreRequest): Promise<RestoreResult>
  forget(context: EngineContext, request: ForgetRequest): Promise<void>
  verify(context: EngineContext, request: VerifyRequest): Promise<VerifyResult>
}

/** An engine as `defineEngine` returns it. */
export interface Engine extends EngineOperations {
  /** The engine's id, which must equal the manifest's id. */
  readonly id: string
}

/** Declares an engine; the bundle's default export must be its result. */
export function defineEngine(engine: Engine): Engine {
  return engine
}
