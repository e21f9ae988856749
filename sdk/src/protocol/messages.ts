import type { LogLevel, Progress } from '../contract.js'
import type { SerializedCofferError } from '../errors.js'
import type { StorageRange } from '../storage.js'

/** Version of the frame and message format, checked in the handshake. */
export const PROTOCOL_VERSION = 1

/** The host's first message. */
export interface HelloMessage {
  type: 'hello'
  protocol: number
  /** Engine API majors the host supports. */
  apiVersions: number[]
  agentVersion: string
  /** `kind` of the host's storage, which the engine gets as `context.storage.kind`. */
  storageKind: string
}

/** The engine's reply to `hello` when a common API major exists. */
export interface HelloOkMessage {
  type: 'hello-ok'
  /** The API major both sides use: the highest they share. */
  apiVersion: number
  engine: { id: string; version: string; apiVersions: number[] }
}

/** The engine's reply to `hello` when it cannot work with this host. */
export interface HelloRejectMessage {
  type: 'hello-reject'
  error: SerializedCofferError
}

/** Names of the operations a host can call. */
export type CallMethod =
  | 'describe'
  | 'validateOptions'
  | 'backup'
  | 'listSnapshots'
  | 'listFiles'
  | 'restore'
  | 'forget'
  | 'verify'

/** Every method, for validation of incoming calls. */
export const CALL_METHODS: readonly CallMethod[] = [
  'describe',
  'validateOptions',
  'backup',
  'listSnapshots',
  'listFiles',
  'restore',
  'forget',
  'verify',
]

/** Starts an operation. Options, secrets included, travel only inside this message. */
export interface CallMessage {
  type: 'call'
  call: number
  method: CallMethod
  options: Record<string, unknown>
  /** The request; a `tar-stream` backup source carries `{ stream: <stream id> }`. */
  request?: unknown
  workDir: string
}

export interface CancelMessage {
  type: 'cancel'
  call: number
}

export interface ResultMessage {
  type: 'result'
  call: number
  value: unknown
}

export interface FailureMessage {
  type: 'failure'
  call: number
  error: SerializedCofferError
}

export interface LogMessage {
  type: 'log'
  call?: number
  level: LogLevel
  message: string
  fields?: Record<string, unknown>
}

export interface ProgressMessage {
  type: 'progress'
  call: number
  progress: Progress
}

/** Storage operations the engine requests from the host. */
export type StorageOperation = 'put' | 'get' | 'list' | 'stat' | 'delete' | 'resticLocation'

export interface StorageRequestMessage {
  type: 'storage'
  request: number
  call?: number
  operation: StorageOperation
  key?: string
  prefix?: string
  range?: StorageRange
  /** For `put`: the stream the engine sends the body on. */
  stream?: number
}

export interface StorageReplyMessage {
  type: 'storage-reply'
  request: number
  /** For `get`: `{ stream }`, the stream the host sends the object on. */
  value?: unknown
  error?: SerializedCofferError
}

export interface StorageAbortMessage {
  type: 'storage-abort'
  request: number
}

/** Grants the sender of `stream` permission to send `bytes` more bytes. */
export interface CreditMessage {
  type: 'credit'
  stream: number
  bytes: number
}

export interface StreamEndMessage {
  type: 'stream-end'
  stream: number
}

/** The sender failed; the receiver's stream ends with `error`. */
export interface StreamAbortMessage {
  type: 'stream-abort'
  stream: number
  error: SerializedCofferError
}

/** The receiver stopped reading; the sender stops and releases its source. */
export interface StreamCancelMessage {
  type: 'stream-cancel'
  stream: number
}

/** Messages either side may send about a data stream. */
export type StreamControlMessage =
  CreditMessage | StreamEndMessage | StreamAbortMessage | StreamCancelMessage

/** Every control message. */
export type ProtocolMessage =
  | HelloMessage
  | HelloOkMessage
  | HelloRejectMessage
  | CallMessage
  | CancelMessage
  | ResultMessage
  | FailureMessage
  | LogMessage
  | ProgressMessage
  | StorageRequestMessage
  | StorageReplyMessage
  | StorageAbortMessage
  | StreamControlMessage

const DATE_TAG = '$date'

/** Serializes a message; `Date` values become `{ "$date": "<ISO 8601>" }` so they survive. */
export function serializeMessage(message: ProtocolMessage): string {
  return JSON.stringify(message, function (this: Record<string, unknown>, key, value) {
    const raw = this[key]
    return raw instanceof Date ? { [DATE_TAG]: raw.toISOString() } : value
  })
}

/** Parses a message and turns `{ "$date": ... }` back into `Date` values. */
export function parseMessage(text: string): ProtocolMessage {
  return JSON.parse(text, (_key, value) => {
    if (typeof value === 'object' && value !== null && typeof value[DATE_TAG] === 'string') {
      const keys = Object.keys(value)
      if (keys.length === 1) {
        return new Date(value[DATE_TAG])
      }
    }

    return value
  }) as ProtocolMessage
}
