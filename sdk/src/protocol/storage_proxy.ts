import type { Readable } from 'node:stream'
import { deserializeError, ProtocolError } from '../errors.js'
import type {
  ResticRepositoryLocation,
  Storage,
  StorageCallOptions,
  StorageObject,
  StorageRange,
} from '../storage.js'
import type { Connection } from './connection.js'
import type { StorageReplyMessage, StorageRequestMessage } from './messages.js'

type PendingReply = { resolve(value: unknown): void; reject(error: Error): void }

/**
 * Engine side of storage: a `Storage` whose operations run on the host's storage. Object bodies
 * travel as data streams; everything else as request and reply messages.
 */
export class StorageProxy {
  #connection: Connection
  #nextRequest = 1
  #pending = new Map<number, PendingReply>()

  constructor(connection: Connection) {
    this.#connection = connection
  }

  /** Settles the request that a `storage-reply` belongs to. */
  onReply(message: StorageReplyMessage): void {
    const pending = this.#pending.get(message.request)
    if (!pending) {
      return
    }

    this.#pending.delete(message.request)
    if (message.error) {
      pending.reject(deserializeError(message.error))
      return
    }

    pending.resolve(message.value)
  }

  /** Rejects every pending request, for example when the host closed the channel. */
  failAll(error: Error): void {
    for (const pending of this.#pending.values()) {
      pending.reject(error)
    }

    this.#pending.clear()
  }

  /** Returns a `Storage` bound to one call, so the host can tie its requests to that call. */
  forCall(call: number, kind: string): Storage {
    return {
      kind,
      put: (key, body, options) => this.#put(call, key, body, options),
      get: (key, options) => this.#get(call, key, options),
      list: async (prefix, options) =>
        (await this.#request({ call, operation: 'list', prefix }, options)) as StorageObject[],
      stat: async (key, options) =>
        (await this.#request({ call, operation: 'stat', key }, options)) as StorageObject | null,
      delete: async (key, options) => {
        await this.#request({ call, operation: 'delete', key }, options)
      },
      resticLocation: async (key) =>
        (await this.#request({
          call,
          operation: 'resticLocation',
          key,
        })) as ResticRepositoryLocation,
      close: async () => {},
    }
  }

  async #put(call: number, key: string, body: Readable, options?: StorageCallOptions) {
    const stream = this.#connection.allocateStreamId()
    const outgoing = this.#connection.sendStream(stream, body)
    try {
      return (await this.#request({ call, operation: 'put', key, stream }, options)) as {
        size: number
      }
    } catch (error) {
      outgoing.cancel()
      throw error
    }
  }

  async #get(call: number, key: string, options?: StorageCallOptions & { range?: StorageRange }) {
    const request: Omit<StorageRequestMessage, 'type' | 'request'> = { call, operation: 'get', key }
    if (options?.range) {
      request.range = options.range
    }

    const value = (await this.#request(request, options)) as { stream: number }
    const readable = this.#connection.receiveStream(value.stream)
    options?.signal?.addEventListener('abort', () => readable.destroy(options.signal!.reason), {
      once: true,
    })
    return readable
  }

  #request(
    fields: Omit<StorageRequestMessage, 'type' | 'request'>,
    options?: StorageCallOptions
  ): Promise<unknown> {
    if (this.#connection.closed) {
      return Promise.reject(
        new ProtocolError('PROTOCOL', 'storage request after the host closed the channel')
      )
    }

    options?.signal?.throwIfAborted()
    const request = this.#nextRequest++
    const reply = new Promise<unknown>((resolve, reject) =>
      this.#pending.set(request, { resolve, reject })
    )
    this.#connection.send({ type: 'storage', request, ...fields })

    const signal = options?.signal
    if (!signal) {
      return reply
    }

    const onAbort = () => this.#connection.send({ type: 'storage-abort', request })
    signal.addEventListener('abort', onAbort, { once: true })
    return reply.finally(() => signal.removeEventListener('abort', onAbort))
  }
}
