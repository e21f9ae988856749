import type {
  BackupStats,
  EngineWarning,
  FileEntry,
  RestoreResult,
  SnapshotRef,
  VerifyLevel,
  VerifyResult,
} from '@coffer/sdk'
import type { ContainerHooks } from '../docker/hooks.js'
import type { ResourceVolume } from '../docker/resolve_volume.js'
import type { Inventory } from '../docker/inventory.js'

/** Kinds of job the controller leases to an agent. */
export type JobKind = 'backup' | 'restore' | 'forget' | 'verify' | 'list-files' | 'extract'

/** The engine a job runs, named by its bundle's sha256. */
export interface JobEngine {
  id: string
  version: string
  digest: string
}

/** The destination of a job. `secrets` exist only in the lease response. */
export interface JobDestination {
  id: string
  kind: 'local' | 'sftp' | 's3'
  config: Record<string, unknown>
  secrets: Record<string, unknown>
}

/** Payload of a `backup` job. */
export interface BackupPayload {
  snapshotId: string
  tags: Record<string, string>
  resource: {
    name: string
    liveMode: boolean
    volumes: ResourceVolume[]
    hooks?: ContainerHooks[]
  }
}

/**
 * Payload of a `restore` job: restores one snapshot of `volume` in place, or into a new volume
 * that the job creates when `target` names one.
 */
export interface RestorePayload {
  snapshot: SnapshotRef
  volume: ResourceVolume
  mode: 'replace'
  paths?: string[]
  target?: RestoreTarget
}

/** A restore's destination other than the snapshot's own volume. */
export interface RestoreTarget {
  type: 'new-volume'
  name: string
}

/** Payload of a `forget` job. */
export interface ForgetPayload {
  snapshots: SnapshotRef[]
}

/** Payload of a `verify` job: one snapshot, or several at `structure` level for reconciliation. */
export interface VerifyPayload {
  snapshot?: SnapshotRef
  snapshots?: SnapshotRef[]
  level: VerifyLevel
  /** With `snapshots`: also list every snapshot the destination holds, in the result's `listed`. */
  listDestination?: boolean
}

/** Payload of a `list-files` job. */
export interface ListFilesPayload {
  snapshot: SnapshotRef
  prefix?: string
}

/** Payload of an `extract` job: the paths are restored and uploaded as one tar stream. */
export interface ExtractPayload {
  snapshot: SnapshotRef
  paths: string[]
}

/** A job as the lease response carries it. */
export interface LeasedJob {
  id: string
  kind: JobKind
  attempt: number
  leaseExpiresAt: string
  leaseSeconds: number
  timeoutSeconds: number
  engine: JobEngine
  destination: JobDestination
  engineOptions: Record<string, unknown>
  payload: unknown
}

/** A bundle the agent rejected, reported in the next heartbeat. */
export interface RejectedEngine {
  digest: string
  reason: string
  code: string
}

/** Body of `POST /api/agent/heartbeat`. */
export interface HeartbeatRequest {
  agentVersion: string
  dockerVersion: string
  concurrency: number
  runningJobs: string[]
  inventory: Inventory
  rejectedEngines: RejectedEngine[]
}

/** Response of `POST /api/agent/heartbeat`. */
export interface HeartbeatResponse {
  serverTime: string
  cancelJobs: string[]
  heartbeatSeconds: number
}

/** Response of `POST /api/agent/jobs/:id/renew`. */
export interface RenewResponse {
  leaseExpiresAt: string
  cancelRequested: boolean
}

/** One event of `POST /api/agent/jobs/:id/events`. */
export type JobEvent =
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string; at: string }
  | {
      type: 'progress'
      phase: string
      bytesDone: number
      bytesTotal?: number
      filesDone?: number
      at: string
    }

/** Final status of a job. */
export type JobStatus = 'succeeded' | 'succeeded_with_warnings' | 'failed' | 'cancelled'

/** One volume's snapshot in a backup result. */
export interface VolumeSnapshot {
  volume: string
  snapshot: SnapshotRef
  stats: BackupStats
  warnings: EngineWarning[]
}

/** Result of a job, with only the member of the job's kind set. */
export interface JobResult {
  snapshots?: VolumeSnapshot[]
  restore?: RestoreResult
  files?: FileEntry[]
  verify?: VerifyResult
  verified?: Array<{ id: string; present: boolean }>
}

/** Body of `POST /api/agent/jobs/:id/complete`. */
export interface CompleteRequest {
  status: JobStatus
  result?: JobResult
  error?: { code: string; message: string; cause?: string }
}
