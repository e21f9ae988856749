import { Readable } from 'node:stream'
import { DestinationError } from './destination_error.js'
import type { SftpRequests } from './sftp_requests.js'

/**
 * READ requests kept in flight at once. ssh2's own read stream waits for each reply before the
 * next request, which caps a download at one request per round trip.
 */
const MAX_READS_IN_FLIGHT = 32

/**
 * Streams bytes `start` to `end` (inclusive) of an open remote file, in order, with up to 32
 * READ requests in flight. Closes the handle when the stream ends or is destroyed.
 */
export function readStreamPipelined(
  requests: SftpRequests,
  handle: Buffer,
  start: number,
  end: number
): Readable {
  const chunkLength = requests.maxReadLength
  const queue: { position: number; length: number; data: Promise<Buffer> }[] = []
  let next = start
  let closed = false

  const fill = () => {
    while (queue.length < MAX_READS_IN_FLIGHT && next <= end) {
      const length = Math.min(chunkLength, end - next + 1)
      const data = requests.read(handle, next, length)
      // Failures surface when the entry reaches the front of the queue.
      data.catch(() => undefined)
      queue.push({ position: next, length, data })
      next += length
    }
  }

  const closeHandle = async () => {
    if (!closed) {
      closed = true
      await requests.close(handle).catch(() => undefined)
    }
  }

  return new Readable({
    async read() {
      fill()
      const entry = queue.shift()
      if (!entry) {
        await closeHandle()
        this.push(null)
        return
      }

      try {
        let data = await entry.data
        // A server may return fewer bytes than requested, so read the rest before going on.
        while (data.length < entry.length) {
          const rest = await requests.read(
            handle,
            entry.position + data.length,
            entry.length - data.length
          )
          if (rest.length === 0) {
            throw new DestinationError(
              'FAILED',
              `the remote file ended ${entry.length - data.length} bytes early: it was truncated during the download`
            )
          }

          data = Buffer.concat([data, rest])
        }

        this.push(data)
      } catch (error) {
        this.destroy(error as Error)
      }
    },
    destroy(error, callback) {
      closeHandle().then(() => callback(error), callback)
    },
  })
}
