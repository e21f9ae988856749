import type { BackupRequest } from '../contract.js'
import { CofferError, deserializeError } from '../errors.js'
import { REDACTED } from '../manifest/options.js'
import type { EngineManifest } from '../manifest/types.js'
import { secretOptionNames } from '../manifest/validate.js'
import type { Connection, OutgoingStream } from './connection.js'
import type { CallMethod, FailureMessage, ResultMessage } from './messages.js'

interface PendingCall {
  method: CallMethod
  resolve(value: unknown): void
  reject(error: Error): void
  /** Values of the call's secret options, replaced by `[redacted]` in its logs. */
  secrets: string[]
  /** Set once the host cancelled the call, so a crash afterwards reports `CANCELLED`. */
  cancelled: boolean
}

// Secret values shorter than this are not redacted from logs: they would match ordinary text.
const MIN_REDACTED_LENGTH = 4

/** The host's calls in flight on one engine process: start, cancel, settle, redact. */
export class PendingCalls {
  #connection: Connection
  #secretNames: string[]
  #graceMs: number
  #kill: () => void
  #calls = new Map<number, PendingCall>()
  #nextCall = 1

  constructor(connection: Connection, manifest: EngineManifest, graceMs: number, kill: () => void) {
    this.#connection = connection
    this.#secretNames = secretOptionNames(manifest)
    this.#graceMs = graceMs
    this.#kill = kill
  }

  /** Sends a call and waits for its result; a `tar-stream` backup source is sent as a data stream. */
  async start(
    method: CallMethod,
    call: { options: Record<string, unknown>; signal?: AbortSignal },
    request: unknown,
    workDir: string
  ): Promise<unknown> {
    const signal = call.signal
    if (signal?.aborted) {
      throw new CofferError('CANCELLED', `${method} was cancelled before it started`)
    }

    const id = this.#nextCall++
    const { wireRequest, outgoing } = this.#prepareRequest(method, request)
    const secrets = this.#secretValues(call.options)
    const result = new Promise<unknown>((resolve, reject) => {
      this.#calls.set(id, { method, resolve, reject, secrets, cancelled: false })
    })

    let graceTimer: NodeJS.Timeout | undefined
    const onAbort = () => {
      const pending = this.#calls.get(id)
      if (!pending) {
        return
      }

      pending.cancelled = true
      this.#connection.send({ type: 'cancel', call: id })
      graceTimer = setTimeout(() => {
        this.#calls.delete(id)
        pending.reject(
          new CofferError(
            'CANCELLED',
            `${method} was cancelled and did not stop within ${this.#graceMs} ms, so the engine process was killed`
          )
        )
        this.#kill()
      }, this.#graceMs)
    }

    signal?.addEventListener('abort', onAbort, { once: true })
    this.#connection.send({
      type: 'call',
      call: id,
      method,
      options: call.options,
      request: wireRequest,
      workDir,
    })

    try {
      return await result
    } finally {
      signal?.removeEventListener('abort', onAbort)
      clearTimeout(graceTimer)
      outgoing?.cancel()
      this.#calls.delete(id)
    }
  }

  /** Settles a call with the engine's result or failure. */
  settle(message: ResultMessage | FailureMessage): void {
    const pending = this.#calls.get(message.call)
    if (!pending) {
      return
    }

    this.#calls.delete(message.call)
    if (message.type === 'result') {
      pending.resolve(message.value)
      return
    }

    const error = deserializeError(message.error)
    error.message = this.redact(error.message)
    pending.reject(error)
  }

  /** Rejects every call, for example when the engine exited; cancelled calls get `CANCELLED`. */
  failAll(error: Error): void {
    for (const [id, pending] of this.#calls) {
      this.#calls.delete(id)
      if (pending.cancelled) {
        pending.reject(
          new CofferError(
            'CANCELLED',
            `${pending.method} was cancelled and the engine process ended`,
            { cause: error }
          )
        )
        continue
      }

      pending.reject(error)
    }
  }

  /** Returns the method of a call in flight. */
  methodOf(call: number | undefined): CallMethod | undefined {
    return call === undefined ? undefined : this.#calls.get(call)?.method
  }

  /** Replaces every secret option value of the calls in flight with `[redacted]`. */
  redact(text: string): string {
    let result = text
    for (const pending of this.#calls.values()) {
      for (const secret of pending.secrets) {
        result = result.split(secret).join(REDACTED)
      }
    }

    return result
  }

  /** Redacts secret values inside log fields, by their JSON text. */
  redactFields(fields: Record<string, unknown>): Record<string, unknown> {
    const text = JSON.stringify(fields)
    const redacted = this.redact(text)
    return redacted === text ? fields : (JSON.parse(redacted) as Record<string, unknown>)
  }

  #prepareRequest(
    method: CallMethod,
    request: unknown
  ): { wireRequest: unknown; outgoing?: OutgoingStream } {
    const backup = request as BackupRequest | undefined
    if (method !== 'backup' || backup?.source?.kind !== 'tar-stream') {
      return { wireRequest: request }
    }

    const stream = this.#connection.allocateStreamId()
    const outgoing = this.#connection.sendStream(stream, backup.source.stream)
    return { wireRequest: { ...backup, source: { kind: 'tar-stream', stream } }, outgoing }
  }

  #secretValues(options: Record<string, unknown>): string[] {
    return this.#secretNames
      .map((name) => options[name])
      .filter(
        (value): value is string => typeof value === 'string' && value.length >= MIN_REDACTED_LENGTH
      )
  }
}
