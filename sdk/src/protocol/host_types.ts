import type {
  BackupRequest,
  BackupResult,
  EngineDescription,
  FileEntry,
  ForgetRequest,
  ListFilesRequest,
  LogLevel,
  Progress,
  RestoreRequest,
  RestoreResult,
  StoredSnapshot,
  VerifyRequest,
  VerifyResult,
} from '../contract.js'
import type { EngineManifest } from '../manifest/types.js'
import type { Storage } from '../storage.js'
import type { CallMethod } from './messages.js'

/** Options of `startEngineProcess`. */
export interface StartEngineProcessOptions {
  /** Folder of a verified, unpacked bundle (see `unpackBundle`). */
  bundleDir: string
  /** The destination the engine reads and writes through. */
  storage: Storage
  /** Receives the engine's log events and each line it writes to stderr, with secrets redacted. */
  onLog?(entry: EngineLogEntry): void
  onProgress?(progress: Progress, method: CallMethod): void
  /** Extra variables for the child, added to PATH, HOME, LANG and TMPDIR. */
  env?: Record<string, string>
  /** Version sent in the handshake and checked against `minAgentVersion`; the SDK's by default. */
  agentVersion?: string
  /** Engine API majors the host supports; `[ENGINE_API_VERSION]` by default. */
  apiVersions?: number[]
  /** The runner program; `engine_runner.js` next to this module by default. */
  runnerPath?: string
  /** The Node.js binary; the running one by default. */
  nodePath?: string
  /** Time allowed for start-up and handshake, in milliseconds; 30 s by default. */
  handshakeTimeoutMs?: number
  /** Time a cancelled call may take to stop before the child is killed, in milliseconds; 10 s by default. */
  cancelGraceMs?: number
}

/** One log line from an engine. */
export interface EngineLogEntry {
  level: LogLevel
  message: string
  fields?: Record<string, unknown>
  /** The call that logged it, when known. */
  method?: CallMethod
  /** `engine` for `context.log`, `stderr` for a line the process wrote to stderr. */
  source: 'engine' | 'stderr'
}

/** Per-call settings of an operation on an engine process. */
export interface EngineCallOptions {
  /** Per-destination options, secrets included; they travel only inside the call message. */
  options: Record<string, unknown>
  /** Cancels the call; the child is killed when it does not stop within the grace period. */
  signal?: AbortSignal
  /** Scratch folder for the call; a private temporary folder, removed afterwards, by default. */
  workDir?: string
}

/** The host's handle on a running engine child process. */
export interface EngineProcess {
  readonly manifest: EngineManifest
  /** The engine API major both sides agreed on. */
  readonly apiVersion: number
  readonly pid: number
  /** Returns the manifest's id, version and capabilities and the versions of the engine's tools. */
  describe(call: EngineCallOptions): Promise<EngineDescription>
  validateOptions(call: EngineCallOptions): Promise<Record<string, string>>
  backup(call: EngineCallOptions, request: BackupRequest): Promise<BackupResult>
  listSnapshots(call: EngineCallOptions): Promise<StoredSnapshot[]>
  listFiles(call: EngineCallOptions, request: ListFilesRequest): Promise<FileEntry[]>
  restore(call: EngineCallOptions, request: RestoreRequest): Promise<RestoreResult>
  forget(call: EngineCallOptions, request: ForgetRequest): Promise<void>
  verify(call: EngineCallOptions, request: VerifyRequest): Promise<VerifyResult>
  /** Ends the child: closes its stdin, then kills it when it has not exited within 5 s. */
  close(): Promise<void>
}
