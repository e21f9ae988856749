import { Readable } from 'node:stream'
import { deserializeError, ProtocolError, serializeError } from '../errors.js'
import { encodeDataHeader, encodeMessageFrame, FrameDecoder, MAX_DATA_CHUNK } from './frames.js'
import {
  parseMessage,
  serializeMessage,
  type ProtocolMessage,
  type StreamControlMessage,
} from './messages.js'

/** Bytes a receiver lets a sender have in flight before it must wait for more credit. */
export const STREAM_WINDOW = 4 * MAX_DATA_CHUNK

// Credit is returned in batches of at least this many bytes, to keep control traffic low.
const CREDIT_BATCH = MAX_DATA_CHUNK

/** Frame destination of a connection: a Writable such as a child's stdin, or an adapter. */
export interface FrameOutput {
  /** Returns false when the caller should wait for `drain`, as `Writable.write` does. */
  write(chunk: Buffer): boolean
  on(event: 'drain', listener: () => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
}

/** Options of a `Connection`. */
export interface ConnectionOptions {
  input: Readable
  output: FrameOutput
  /** 1 for the host (odd stream ids), 0 for the engine (even ones), so ids never collide. */
  streamIdParity: 0 | 1
  /** Called for every control message that is not about a data stream. */
  onMessage(message: ProtocolMessage): void
  /** Called once when the input ends or fails; `error` is set when it failed. */
  onClose(error?: Error): void
}

/** A stream being sent to the peer. */
export interface OutgoingStream {
  id: number
  /** Settles when the last byte was written or the stream was aborted. */
  done: Promise<void>
  /** Stops sending and destroys the source. */
  cancel(): void
}

interface Receiver {
  stream: Readable
  ungranted: number
}

interface Sender {
  credit: number
  wake?: () => void
  cancelled: boolean
  source: Readable
}

/**
 * One end of the host–engine channel: writes frames, decodes the peer's frames, and runs data
 * streams with credit-based flow control, so a fast sender never buffers more than
 * `STREAM_WINDOW` bytes per stream at the receiver beyond the consumer's own buffer.
 */
export class Connection {
  #options: ConnectionOptions
  #decoder = new FrameDecoder()
  #receivers = new Map<number, Receiver>()
  #senders = new Map<number, Sender>()
  #nextStreamId: number
  #closed = false
  #drainWaiters: Array<() => void> = []

  constructor(options: ConnectionOptions) {
    this.#options = options
    this.#nextStreamId = options.streamIdParity === 1 ? 1 : 2
    options.output.on('drain', () => this.#wakeDrainWaiters())
    options.output.on('error', (error) => this.#close(error))
    options.input.on('data', (chunk: Buffer) => this.#onBytes(chunk))
    options.input.on('end', () => this.#close())
    options.input.on('error', (error) => this.#close(error))
  }

  /** True once the peer's input ended or the connection failed. */
  get closed(): boolean {
    return this.#closed
  }

  /** Sends one control message. Messages are small, so this ignores backpressure. */
  send(message: ProtocolMessage): void {
    if (this.#closed) {
      return
    }

    this.#options.output.write(encodeMessageFrame(serializeMessage(message)))
  }

  /** Allocates a stream id for a stream this side will send. */
  allocateStreamId(): number {
    const id = this.#nextStreamId
    this.#nextStreamId += 2
    return id
  }

  /**
   * Starts receiving the stream `id`: grants the first credit and returns a Readable that ends
   * with the sender's `stream-end`, or fails with the sender's error. Destroying it early sends
   * `stream-cancel`, so the sender stops.
   */
  receiveStream(id: number): Readable {
    const receiver: Receiver = { stream: undefined as unknown as Readable, ungranted: 0 }
    receiver.stream = new Readable({
      highWaterMark: STREAM_WINDOW,
      read: () => this.#grant(id, receiver, 1),
      destroy: (error, callback) => {
        if (this.#receivers.delete(id)) {
          this.send({ type: 'stream-cancel', stream: id })
        }

        callback(error)
      },
    })

    this.#receivers.set(id, receiver)
    this.send({ type: 'credit', stream: id, bytes: STREAM_WINDOW })
    return receiver.stream
  }

  /** Sends `source` as stream `id`, waiting for credit before each chunk. */
  sendStream(id: number, source: Readable): OutgoingStream {
    const sender: Sender = { credit: 0, cancelled: false, source }
    this.#senders.set(id, sender)
    const done = this.#pump(id, sender).finally(() => this.#senders.delete(id))

    const cancel = () => {
      sender.cancelled = true
      sender.source.destroy()
      sender.wake?.()
    }

    return { id, done, cancel }
  }

  /** Fails every open stream, for example when the peer exited. */
  failStreams(error: Error): void {
    for (const [id, receiver] of this.#receivers) {
      this.#receivers.delete(id)
      receiver.stream.destroy(error)
    }

    for (const sender of this.#senders.values()) {
      sender.cancelled = true
      sender.source.destroy()
      sender.wake?.()
    }
  }

  async #pump(id: number, sender: Sender): Promise<void> {
    try {
      for await (const chunk of sender.source) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array)
        await this.#sendChunk(id, sender, buffer)
        if (sender.cancelled) {
          return
        }
      }

      if (!sender.cancelled) {
        this.send({ type: 'stream-end', stream: id })
      }
    } catch (error) {
      if (!sender.cancelled) {
        this.send({ type: 'stream-abort', stream: id, error: serializeError(error) })
      }
    }
  }

  async #sendChunk(id: number, sender: Sender, buffer: Buffer): Promise<void> {
    let offset = 0
    while (offset < buffer.length) {
      while (sender.credit === 0 && !sender.cancelled && !this.#closed) {
        await new Promise<void>((resolve) => (sender.wake = resolve))
        sender.wake = undefined
      }

      if (sender.cancelled || this.#closed) {
        sender.cancelled = true
        return
      }

      const length = Math.min(buffer.length - offset, sender.credit, MAX_DATA_CHUNK)
      const piece = buffer.subarray(offset, offset + length)
      offset += length
      sender.credit -= length

      const output = this.#options.output
      output.write(encodeDataHeader(id, length))
      if (!output.write(piece)) {
        await new Promise<void>((resolve) => this.#drainWaiters.push(resolve))
      }
    }
  }

  #grant(id: number, receiver: Receiver, threshold: number): void {
    if (receiver.ungranted < threshold || !this.#receivers.has(id)) {
      return
    }

    this.send({ type: 'credit', stream: id, bytes: receiver.ungranted })
    receiver.ungranted = 0
  }

  #onBytes(chunk: Buffer): void {
    let frames
    try {
      frames = this.#decoder.push(chunk)
    } catch (error) {
      this.#close(error as Error)
      this.#options.input.destroy()
      return
    }

    for (const frame of frames) {
      if (frame.kind === 'data') {
        this.#onData(frame.streamId, frame.chunk)
        continue
      }

      let message: ProtocolMessage
      try {
        message = parseMessage(frame.body.toString('utf8'))
      } catch (error) {
        this.#close(
          new ProtocolError(
            'PROTOCOL',
            `invalid JSON message from the peer: ${(error as Error).message}`
          )
        )
        return
      }

      if (!this.#onStreamControl(message as StreamControlMessage)) {
        this.#options.onMessage(message)
      }
    }
  }

  // Data for a stream this side already cancelled is dropped: it was in flight.
  #onData(id: number, chunk: Buffer): void {
    const receiver = this.#receivers.get(id)
    if (!receiver) {
      return
    }

    receiver.ungranted += chunk.length
    if (receiver.stream.push(chunk)) {
      this.#grant(id, receiver, CREDIT_BATCH)
    }
  }

  #onStreamControl(message: StreamControlMessage): boolean {
    switch (message.type) {
      case 'credit': {
        const sender = this.#senders.get(message.stream)
        if (sender) {
          sender.credit += message.bytes
          sender.wake?.()
        }

        return true
      }

      case 'stream-cancel': {
        const sender = this.#senders.get(message.stream)
        if (sender) {
          sender.cancelled = true
          sender.source.destroy()
          sender.wake?.()
        }

        return true
      }

      case 'stream-end': {
        const receiver = this.#receivers.get(message.stream)
        this.#receivers.delete(message.stream)
        receiver?.stream.push(null)
        return true
      }

      case 'stream-abort': {
        const receiver = this.#receivers.get(message.stream)
        this.#receivers.delete(message.stream)
        receiver?.stream.destroy(deserializeError(message.error))
        return true
      }

      default:
        return false
    }
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const wake of waiters) {
      wake()
    }
  }

  #close(error?: Error): void {
    if (this.#closed) {
      return
    }

    this.#closed = true
    this.#wakeDrainWaiters()
    const reason = error ?? new ProtocolError('PROTOCOL', 'the peer closed the channel')
    this.failStreams(reason)
    this.#options.onClose(error)
  }
}
