import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { Transform, type TransformCallback } from 'node:stream'
import { CofferError } from '@coffer/sdk'

const zstdDecompress = promisify(zlib.zstdDecompress)
const FRAME_MAGIC = 0xfd2fb528

/**
 * Creates a transform that decompresses concatenated zstd frames one frame at a time.
 * NOTE: Node 24's streaming zstd decompressor stops, or fails with "Unknown frame descriptor",
 * when a write ends near a frame boundary (seen on v24.21.0), so frames are split here by parsing
 * their headers (frame header, blocks with 3-byte headers, optional checksum) and each is
 * decompressed whole.
 */
export function createZstdFrameDecompressor(): Transform {
  let buffer: Buffer = Buffer.alloc(0)
  let offset = 0

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
      decompressFrames(this, false).then(() => callback(), callback)
    },
    flush(callback: TransformCallback) {
      decompressFrames(this, true).then(() => callback(), callback)
    },
  })

  async function decompressFrames(stream: Transform, final: boolean): Promise<void> {
    while (buffer.length > 0) {
      const size = frameSize(buffer, offset)
      if (size === null) {
        if (final) {
          throw new CofferError(
            'CORRUPT',
            `zstd data ends inside a frame at byte ${offset + buffer.length}; the artifact is truncated`
          )
        }
        return
      }

      const frame = buffer.subarray(0, size)
      buffer = buffer.subarray(size)
      try {
        stream.push(await zstdDecompress(frame))
      } catch (error) {
        throw new CofferError(
          'CORRUPT',
          `zstd frame at byte ${offset} cannot be decompressed: ${(error as Error).message}`,
          { cause: error }
        )
      }
      offset += size
    }
  }
}

/** Returns the size of the frame at the start of `data`, or null when it is not complete yet. */
function frameSize(data: Buffer, offset: number): number | null {
  if (data.length < 6) {
    return null
  }

  if (data.readUInt32LE(0) !== FRAME_MAGIC) {
    throw new CofferError('CORRUPT', `no zstd frame at byte ${offset}; the artifact is damaged`)
  }

  const descriptor = data[4]
  const contentSizeFlag = descriptor >> 6
  const singleSegment = (descriptor >> 5) & 1
  const checksum = (descriptor >> 2) & 1
  const dictionaryIdSizes = [0, 1, 2, 4]
  const contentSizeSizes = [singleSegment ? 1 : 0, 2, 4, 8]
  let position =
    5 +
    (singleSegment ? 0 : 1) +
    dictionaryIdSizes[descriptor & 3] +
    contentSizeSizes[contentSizeFlag]

  for (;;) {
    if (data.length < position + 3) {
      return null
    }

    const header = data[position] | (data[position + 1] << 8) | (data[position + 2] << 16)
    const last = header & 1
    const type = (header >> 1) & 3
    const size = header >> 3
    if (type === 3) {
      throw new CofferError(
        'CORRUPT',
        `zstd block with reserved type at byte ${offset + position}; the artifact is damaged`
      )
    }

    position += 3 + (type === 1 ? 1 : size)
    if (last) {
      break
    }
  }

  position += checksum ? 4 : 0
  return data.length >= position ? position : null
}
