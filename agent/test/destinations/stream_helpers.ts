import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'

/**
 * Creates a stream of `total` random bytes, made on the fly in 1 MiB chunks. The returned
 * `result.digest` is the stream's sha256 once the stream has ended.
 */
export function randomStream(total: number, chunkSize = 1024 * 1024) {
  const hash = createHash('sha256')
  let produced = 0
  const result = { digest: '' }

  const stream = new Readable({
    read() {
      if (produced >= total) {
        result.digest = hash.digest('hex')
        this.push(null)
        return
      }

      const chunk = randomBytes(Math.min(chunkSize, total - produced))
      produced += chunk.length
      hash.update(chunk)
      this.push(chunk)
    },
  })

  return { stream, result }
}

/** Reads a stream to its end and returns its size and sha256. */
export async function digestStream(stream: Readable): Promise<{ size: number; digest: string }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of stream) {
    size += chunk.length
    hash.update(chunk)
  }

  return { size, digest: hash.digest('hex') }
}

/** Reads a stream into one buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) {
    chunks.push(Buffer.from(chunk))
  }

  return Buffer.concat(chunks)
}
