import type { Readable } from 'node:stream'
import { DestinationError } from './destination_error.js'
import type { SftpRequests } from './sftp_requests.js'

/**
 * Max WRITE requests in flight at once. ssh2 waits for each reply before it sends the next part
 * of one large write, so one request at a time costs a round trip per 32 KiB. Several requests
 * in flight keep the connection busy, as OpenSSH's sftp client does (64 requests by default).
 */
const MAX_WRITES_IN_FLIGHT = 64

/**
 * Writes a stream to an open remote file in order, with up to 64 WRITE requests in flight.
 * Returns the number of bytes written; rejects with the first failed request's error.
 */
export async function writeStreamPipelined(
  requests: SftpRequests,
  handle: Buffer,
  body: Readable,
  signal?: AbortSignal
): Promise<number> {
  const chunkLength = requests.maxWriteLength
  const inFlight = new Set<Promise<void>>()
  let position = 0
  let failure: unknown
  let pending: Buffer[] = []
  let pendingLength = 0

  const send = async (data: Buffer) => {
    while (inFlight.size >= MAX_WRITES_IN_FLIGHT) {
      await Promise.race(inFlight)
    }

    if (failure !== undefined) {
      throw failure
    }

    const write = requests.write(handle, data, position).catch((error) => {
      failure ??= error
    })
    position += data.length
    inFlight.add(write)
    void write.finally(() => inFlight.delete(write))
  }

  for await (const chunk of body) {
    throwIfAborted(signal)
    if (failure !== undefined) {
      throw failure
    }

    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
    pending.push(buffer)
    pendingLength += buffer.length
    if (pendingLength < chunkLength) {
      continue
    }

    const joined = Buffer.concat(pending, pendingLength)
    let offset = 0
    while (joined.length - offset >= chunkLength) {
      await send(joined.subarray(offset, offset + chunkLength))
      offset += chunkLength
    }

    pending = offset < joined.length ? [joined.subarray(offset)] : []
    pendingLength = joined.length - offset
  }

  if (pendingLength > 0) {
    await send(Buffer.concat(pending, pendingLength))
  }

  await Promise.all(inFlight)
  if (failure !== undefined) {
    throw failure
  }

  throwIfAborted(signal)
  return position
}

/** Rejects with a `CANCELLED` error once `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new DestinationError('CANCELLED', 'the storage operation was cancelled', {
      cause: signal.reason,
    })
  }
}
