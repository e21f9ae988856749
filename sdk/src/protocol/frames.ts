import { ProtocolError } from '../errors.js'

/**
 * Wire format, in both directions: a 4-byte big-endian length of the rest of the frame, one kind
 * byte, then the body. A `message` body is UTF-8 JSON; a `data` body is a 4-byte big-endian stream
 * id followed by raw bytes.
 */
export const FRAME_KIND = { message: 1, data: 2 } as const

/** Largest data chunk a sender puts in one frame. */
export const MAX_DATA_CHUNK = 256 * 1024

/** Largest frame body a reader accepts (a JSON message, such as a big file listing). */
export const MAX_FRAME_BODY = 256 * 1024 * 1024

const LENGTH_BYTES = 4
const STREAM_ID_BYTES = 4

/** A decoded frame. */
export type Frame =
  { kind: 'message'; body: Buffer } | { kind: 'data'; streamId: number; chunk: Buffer }

/** Encodes a JSON message frame as one buffer. */
export function encodeMessageFrame(json: string): Buffer {
  const body = Buffer.from(json, 'utf8')
  const header = Buffer.allocUnsafe(LENGTH_BYTES + 1)
  header.writeUInt32BE(body.length + 1, 0)
  header[LENGTH_BYTES] = FRAME_KIND.message
  return Buffer.concat([header, body])
}

/** Encodes the header of a data frame; the chunk follows it on the wire unchanged. */
export function encodeDataHeader(streamId: number, chunkLength: number): Buffer {
  const header = Buffer.allocUnsafe(LENGTH_BYTES + 1 + STREAM_ID_BYTES)
  header.writeUInt32BE(chunkLength + 1 + STREAM_ID_BYTES, 0)
  header[LENGTH_BYTES] = FRAME_KIND.data
  header.writeUInt32BE(streamId, LENGTH_BYTES + 1)
  return header
}

/**
 * Splits a byte stream into frames. Feed it every chunk read from the peer; it returns the frames
 * completed so far and keeps partial ones. Raises `PROTOCOL` on an unknown kind or oversize frame.
 */
export class FrameDecoder {
  #pending: Buffer[] = []
  #pendingLength = 0

  push(chunk: Buffer): Frame[] {
    this.#pending.push(chunk)
    this.#pendingLength += chunk.length
    const frames: Frame[] = []

    while (this.#pendingLength >= LENGTH_BYTES) {
      const length = this.#peekLength()
      if (length < 1 || length > MAX_FRAME_BODY + 1 + STREAM_ID_BYTES) {
        throw new ProtocolError(
          'PROTOCOL',
          `invalid frame length ${length}: the peer does not speak this protocol`
        )
      }

      if (this.#pendingLength < LENGTH_BYTES + length) {
        break
      }

      this.#take(LENGTH_BYTES)
      frames.push(decodeBody(this.#take(length)))
    }

    return frames
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get bufferedBytes(): number {
    return this.#pendingLength
  }

  #peekLength(): number {
    const first = this.#pending[0]
    if (first.length >= LENGTH_BYTES) {
      return first.readUInt32BE(0)
    }

    return Buffer.concat(this.#pending).readUInt32BE(0)
  }

  // Removes `count` bytes from the front; copies only when the bytes span several chunks.
  #take(count: number): Buffer {
    this.#pendingLength -= count
    const first = this.#pending[0]
    if (first.length > count) {
      this.#pending[0] = first.subarray(count)
      return first.subarray(0, count)
    }

    if (first.length === count) {
      this.#pending.shift()
      return first
    }

    const joined = Buffer.concat(this.#pending)
    this.#pending = joined.length > count ? [joined.subarray(count)] : []
    return joined.subarray(0, count)
  }
}

function decodeBody(body: Buffer): Frame {
  const kind = body[0]
  if (kind === FRAME_KIND.message) {
    return { kind: 'message', body: body.subarray(1) }
  }

  if (kind === FRAME_KIND.data && body.length >= 1 + STREAM_ID_BYTES) {
    return {
      kind: 'data',
      streamId: body.readUInt32BE(1),
      chunk: body.subarray(1 + STREAM_ID_BYTES),
    }
  }

  throw new ProtocolError(
    'PROTOCOL',
    `invalid frame kind ${kind}: the peer does not speak this protocol`
  )
}
