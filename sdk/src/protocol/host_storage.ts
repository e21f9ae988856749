import type { Readable } from 'node:stream'
import { CofferError, serializeError } from '../errors.js'
import type { Storage } from '../storage.js'
import type { Connection } from './connection.js'
import type { StorageRequestMessage } from './messages.js'

/**
 * Host side of storage: runs the engine's storage requests on the real `Storage` and replies.
 * Object bodies travel as data streams in both directions.
 */
export class StorageServer {
  #connection: Connection
  #storage: Storage
  #requests = new Map<number, AbortController>()

  constructor(connection: Connection, storage: Storage) {
    this.#connection = connection
    this.#storage = storage
  }

  /** Aborts one request after the engine sent `storage-abort`. */
  abort(request: number): void {
    this.#requests
      .get(request)
      ?.abort(new CofferError('CANCELLED', `storage request ${request} was aborted by the engine`))
  }

  /** Aborts every request in flight, for example when the engine exited. */
  abortAll(): void {
    for (const controller of this.#requests.values()) {
      controller.abort(new CofferError('CANCELLED', 'the engine process ended'))
    }
  }

  /** Runs one request and sends the reply. */
  async handle(message: StorageRequestMessage): Promise<void> {
    const controller = new AbortController()
    this.#requests.set(message.request, controller)

    try {
      const value = await this.#run(message, controller.signal)
      this.#connection.send({
        type: 'storage-reply',
        request: message.request,
        value: value ?? null,
      })
    } catch (error) {
      this.#connection.send({
        type: 'storage-reply',
        request: message.request,
        error: serializeError(error),
      })
    } finally {
      this.#requests.delete(message.request)
    }
  }

  async #run(message: StorageRequestMessage, signal: AbortSignal): Promise<unknown> {
    const storage = this.#storage

    switch (message.operation) {
      case 'put':
        return this.#put(requireKey(message), requireStream(message), signal)
      case 'get':
        return this.#get(requireKey(message), message, signal)
      case 'list':
        return storage.list(typeof message.prefix === 'string' ? message.prefix : '', { signal })
      case 'stat':
        return storage.stat(requireKey(message), { signal })
      case 'delete':
        return storage.delete(requireKey(message), { signal })
      case 'resticLocation':
        if (!storage.resticLocation) {
          throw new CofferError(
            'UNSUPPORTED',
            `storage ${storage.kind} cannot host a restic repository`
          )
        }

        return storage.resticLocation(requireKey(message))
      default:
        throw new CofferError(
          'INVALID_ARGUMENT',
          `unknown storage operation ${JSON.stringify(message.operation)}`
        )
    }
  }

  async #put(key: string, streamId: number, signal: AbortSignal): Promise<{ size: number }> {
    const body = this.#connection.receiveStream(streamId)
    try {
      return await this.#storage.put(key, body, { signal })
    } finally {
      body.destroy()
    }
  }

  async #get(
    key: string,
    message: StorageRequestMessage,
    signal: AbortSignal
  ): Promise<{ stream: number }> {
    const options = message.range ? { signal, range: message.range } : { signal }
    const source: Readable = await this.#storage.get(key, options)
    const stream = this.#connection.allocateStreamId()
    const outgoing = this.#connection.sendStream(stream, source)
    void outgoing.done
    return { stream }
  }
}

function requireKey(message: StorageRequestMessage): string {
  if (typeof message.key !== 'string') {
    throw new CofferError('INVALID_ARGUMENT', `storage ${message.operation} request without a key`)
  }

  return message.key
}

function requireStream(message: StorageRequestMessage): number {
  if (typeof message.stream !== 'number') {
    throw new CofferError('INVALID_ARGUMENT', 'storage put request without a body stream')
  }

  return message.stream
}
