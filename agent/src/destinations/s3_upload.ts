import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3'
import { DestinationError } from './destination_error.js'
import type { Deadline } from './s3_client.js'

/** S3's limit on the parts of one multipart upload. */
export const MAX_PARTS = 10_000

const MIB = 1024 * 1024

/** Max bytes of parts held in memory at once; one part is in flight even when it is larger. */
const MAX_BYTES_IN_FLIGHT = 64 * MIB

/**
 * Returns the size of part `partNumber` (1-based) of an upload of unknown length. Parts start at
 * 8 MiB and double every 1,000 parts. So 10,000 parts hold 8 MiB × 1,000 × (2^10 − 1), about
 * 7.8 TiB, which is above S3's 5 TiB object limit, and the largest part (4 GiB) stays under S3's
 * 5 GiB part limit. A fixed part size large enough for 5 TiB (525 MiB) would hold that much
 * memory for every upload, and small uploads would never use multipart. Growing parts keep the
 * first 7.8 GiB of an object in 8 MiB parts.
 */
export function partSize(partNumber: number): number {
  return 8 * MIB * 2 ** Math.floor((partNumber - 1) / 1000)
}

/** Target of an upload: bucket, key, and the deadline of each request. */
export interface S3UploadTarget {
  client: S3Client
  bucket: string
  /** Full object key, prefix included. */
  key: string
  /**
   * Signal of the caller and of the storage's deadline for one request that sends `bytes`; the
   * storage extends the deadline for large bodies.
   */
  requestSignal: (bytes: number) => Deadline
}

/**
 * Uploads a stream of unknown length and returns the number of bytes uploaded. A stream shorter
 * than one part, including an empty one, becomes one PutObject. A longer stream becomes a
 * multipart upload, which is aborted on any failure.
 */
export async function uploadStream(target: S3UploadTarget, body: Readable): Promise<number> {
  const reader = new ExactReader(body)
  const first = await reader.read(partSize(1))

  if (first.length < partSize(1)) {
    await send(target, first.length, (signal) =>
      target.client.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: target.key,
          Body: first,
          ContentLength: first.length,
        }),
        { abortSignal: signal }
      )
    )
    return first.length
  }

  const created = await send(target, 0, (signal) =>
    target.client.send(
      new CreateMultipartUploadCommand({ Bucket: target.bucket, Key: target.key }),
      {
        abortSignal: signal,
      }
    )
  )
  const uploadId = created.UploadId
  if (!uploadId) {
    throw new DestinationError('FAILED', `the S3 server returned no upload id for ${target.key}`)
  }

  try {
    const parts = await uploadParts(target, uploadId, reader, first)
    await send(target, 0, (signal) =>
      target.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.completed },
        }),
        { abortSignal: signal }
      )
    )
    return parts.size
  } catch (error) {
    body.destroy()
    // NOTE: when the server is unreachable, the abort fails too. The parts then stay until a
    // lifecycle rule (AbortIncompleteMultipartUpload) removes them, but they never show as an object.
    await target.client
      .send(
        new AbortMultipartUploadCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: uploadId,
        })
      )
      .catch(() => undefined)
    throw error
  }
}

async function uploadParts(
  target: S3UploadTarget,
  uploadId: string,
  reader: ExactReader,
  first: Buffer
) {
  const completed: CompletedPart[] = []
  const inFlight = new Set<Promise<void>>()
  let failure: unknown
  let size = 0
  let partNumber = 1
  let data = first

  while (data.length > 0) {
    if (partNumber > MAX_PARTS) {
      throw new DestinationError(
        'FAILED',
        `${target.key} exceeds S3's limit of ${MAX_PARTS} parts (about 7.8 TiB)`
      )
    }

    const limit = Math.max(1, Math.floor(MAX_BYTES_IN_FLIGHT / partSize(partNumber)))
    while (inFlight.size >= limit && failure === undefined) {
      await Promise.race(inFlight)
    }

    if (failure !== undefined) {
      break
    }

    const number = partNumber
    const body = data
    const upload = send(target, body.length, (signal) =>
      target.client.send(
        new UploadPartCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: uploadId,
          PartNumber: number,
          Body: body,
          ContentLength: body.length,
        }),
        { abortSignal: signal }
      )
    ).then(
      (result) => {
        completed.push({ PartNumber: number, ETag: result.ETag })
      },
      (error) => {
        failure ??= error
      }
    )
    inFlight.add(upload)
    void upload.finally(() => inFlight.delete(upload))

    size += data.length
    partNumber++
    data = await reader.read(partSize(partNumber))
  }

  await Promise.all(inFlight)
  if (failure !== undefined) {
    throw failure
  }

  completed.sort((left, right) => (left.PartNumber ?? 0) - (right.PartNumber ?? 0))
  return { completed, size }
}

async function send<T>(
  target: S3UploadTarget,
  bytes: number,
  call: (signal: AbortSignal) => Promise<T>
): Promise<T> {
  const deadline = target.requestSignal(bytes)
  try {
    return await call(deadline.signal)
  } catch (error) {
    if (deadline.timedOut) {
      throw new DestinationError('TIMEOUT', `an S3 request for ${target.key} timed out`, {
        cause: error,
      })
    }

    throw error
  } finally {
    deadline.clear()
  }
}

/** Reads a stream in pieces of an exact length; the last piece may be shorter, then empty. */
class ExactReader {
  readonly #iterator: AsyncIterator<Buffer | string>
  #leftover: Buffer = Buffer.alloc(0)
  #done = false

  constructor(body: Readable) {
    this.#iterator = body[Symbol.asyncIterator]()
  }

  async read(length: number): Promise<Buffer> {
    const pieces: Buffer[] = [this.#leftover]
    let total = this.#leftover.length

    while (total < length && !this.#done) {
      const next = await this.#iterator.next()
      if (next.done) {
        this.#done = true
        break
      }

      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value)
      pieces.push(chunk)
      total += chunk.length
    }

    const joined = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, total)
    this.#leftover = joined.subarray(Math.min(length, joined.length))
    return joined.subarray(0, Math.min(length, joined.length))
  }
}
