import { createHash } from 'node:crypto'
import { Transform, type Duplex, type TransformCallback } from 'node:stream'
import type { Artifact, Storage } from '@coffer/sdk'
import { CofferError } from '@coffer/sdk'
import type { BlockInfo } from './archive_writer.js'
import { createDecompressor } from './compression.js'
import { ENCRYPTION_HEADER_SIZE, openArtifactCipher } from './crypto_frame.js'
import { RecordOpener } from './crypto_records.js'
import { createOpenStream } from './crypto_stream.js'
import type { ArtifactFormat } from './layout.js'
import { chainStreams } from './stream_util.js'

/** A byte range of the tar stream, `[start, end)`. */
export interface TarRange {
  start: number
  end: number
}

/**
 * Yields the whole tar stream of an archive artifact. After the last byte it checks the stored
 * size and sha256 against the artifact record and raises `CORRUPT` on a mismatch.
 */
export async function* readWholeArchive(
  storage: Storage,
  artifact: Artifact,
  format: ArtifactFormat,
  key: Buffer | undefined,
  signal?: AbortSignal
): AsyncGenerator<Buffer> {
  const body = await storage.get(artifact.key, { signal })
  const hash = createHash('sha256')
  let size = 0
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk)
      size += chunk.length
      callback(null, chunk)
    },
  })

  const stages: Duplex[] = [tap]
  if (format.encrypted) {
    stages.push(createOpenStream(key!))
  }
  stages.push(createDecompressor(format.compression))

  try {
    for await (const chunk of chainStreams(body, stages)) {
      yield chunk as Buffer
    }
  } catch (error) {
    throw asCorrupt(error, artifact.key)
  }

  const digest = hash.digest('hex')
  if (size !== artifact.size || digest !== artifact.sha256) {
    throw new CofferError(
      'CORRUPT',
      `artifact ${artifact.key} has ${size} bytes with sha256 ${digest}, expected ${artifact.size} bytes with sha256 ${artifact.sha256}; the artifact was altered or truncated`
    )
  }
}

/**
 * Yields the tar bytes of the given ranges, in order, reading only the blocks that hold them.
 * `ranges` must be sorted and must not overlap; `blocks` is the block table of the index.
 */
export async function* readArchiveRanges(
  storage: Storage,
  artifact: Artifact,
  format: ArtifactFormat,
  key: Buffer | undefined,
  blocks: BlockInfo[],
  ranges: TarRange[],
  signal?: AbortSignal
): AsyncGenerator<Buffer> {
  let cipherHeader: Buffer | undefined
  if (format.encrypted) {
    cipherHeader = await readAll(
      await storage.get(artifact.key, {
        signal,
        range: { offset: 0, length: ENCRYPTION_HEADER_SIZE },
      })
    )
  }

  for (const run of groupIntoRuns(blocks, ranges)) {
    const first = blocks[run.firstBlock]
    const last = blocks[run.lastBlock]
    const length = last.storedOffset + last.storedLength - first.storedOffset
    const body = await storage.get(artifact.key, {
      signal,
      range: { offset: first.storedOffset, length },
    })

    const stages: Duplex[] = []
    if (cipherHeader) {
      stages.push(createRangeOpenStream(cipherHeader, key!, first))
    }
    stages.push(createDecompressor(format.compression))

    let position = first.tarOffset
    let rangeIndex = 0
    try {
      for await (const chunk of chainStreams(body, stages) as AsyncIterable<Buffer>) {
        const chunkEnd = position + chunk.length
        while (rangeIndex < run.ranges.length) {
          const range = run.ranges[rangeIndex]
          const start = Math.max(range.start, position)
          const end = Math.min(range.end, chunkEnd)
          if (start < end) {
            yield chunk.subarray(start - position, end - position)
          }

          if (range.end > chunkEnd) {
            break
          }
          rangeIndex++
        }
        position = chunkEnd
      }
    } catch (error) {
      throw asCorrupt(error, artifact.key)
    }

    if (rangeIndex < run.ranges.length) {
      throw new CofferError(
        'CORRUPT',
        `archive ${artifact.key} ends at tar byte ${position}, before the entries the index points to`
      )
    }
  }
}

interface BlockRun {
  firstBlock: number
  lastBlock: number
  ranges: TarRange[]
}

function groupIntoRuns(blocks: BlockInfo[], ranges: TarRange[]): BlockRun[] {
  const runs: BlockRun[] = []
  let blockIndex = 0

  for (const range of ranges) {
    while (
      blockIndex < blocks.length &&
      blocks[blockIndex].tarOffset + blocks[blockIndex].tarLength <= range.start
    ) {
      blockIndex++
    }

    let lastBlock = blockIndex
    while (
      lastBlock + 1 < blocks.length &&
      blocks[lastBlock].tarOffset + blocks[lastBlock].tarLength < range.end
    ) {
      lastBlock++
    }

    if (blockIndex >= blocks.length) {
      throw new CofferError(
        'CORRUPT',
        `index points to tar byte ${range.start}, past the last block`
      )
    }

    const previous = runs.at(-1)
    if (previous && previous.lastBlock >= blockIndex - 1) {
      previous.lastBlock = Math.max(previous.lastBlock, lastBlock)
      previous.ranges.push(range)
    } else {
      runs.push({ firstBlock: blockIndex, lastBlock, ranges: [range] })
    }
  }

  return runs
}

function createRangeOpenStream(header: Buffer, key: Buffer, block: BlockInfo): Transform {
  const opener = new RecordOpener(
    openArtifactCipher(header, key),
    block.firstRecord,
    block.storedOffset
  )
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        for (const plaintext of opener.push(chunk)) {
          this.push(plaintext)
        }
        callback()
      } catch (error) {
        callback(error as Error)
      }
    },
    flush(callback: TransformCallback) {
      try {
        opener.finishPartial()
        callback()
      } catch (error) {
        callback(error as Error)
      }
    },
  })
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) {
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

// Decompressor errors (bad frame, checksum) mean damaged data; CofferErrors keep their code.
function asCorrupt(error: unknown, key: string): unknown {
  if (error instanceof CofferError) {
    return error
  }

  const code = (error as NodeJS.ErrnoException).code ?? ''
  if (code.startsWith('Z_') || code.startsWith('ZSTD_') || code.startsWith('ERR_ZLIB')) {
    return new CofferError(
      'CORRUPT',
      `archive ${key} cannot be decompressed: ${(error as Error).message}`,
      { cause: error }
    )
  }

  return error
}
