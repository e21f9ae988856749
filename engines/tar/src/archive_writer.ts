import { createHash } from 'node:crypto'
import { PassThrough } from 'node:stream'
import { compressBlock } from './compression.js'
import { createArtifactCipher } from './crypto_frame.js'
import { RecordSealer } from './crypto_records.js'
import type { TarOptions } from './options.js'
import { writeChunk } from './stream_util.js'

/** Position of one block of the tar stream in the archive artifact. */
export interface BlockInfo {
  index: number
  tarOffset: number
  tarLength: number
  storedOffset: number
  storedLength: number
  /** Number of the first encryption record of the block (0 when not encrypted). */
  firstRecord: number
}

/** Totals of a finished archive artifact. */
export interface ArchiveSummary {
  tarSize: number
  storedSize: number
  sha256: string
  blocks: number
}

// Blocks compressed at the same time: one being written out while the next ones compress on
// libuv's thread pool (4 threads by default). Memory use is about this many times 2 blocks.
const MAX_BLOCKS_IN_FLIGHT = 4

/**
 * Turns a tar stream into the archive artifact: blocks of `blockSize` tar bytes, each compressed
 * as its own frame and, with a key, sealed into its own records. Blocks compress on the thread
 * pool while the next one is read, and `output` applies backpressure to the caller.
 */
export class ArchiveWriter {
  /** The artifact bytes, to hand to `storage.put`. */
  readonly output = new PassThrough({ highWaterMark: 1024 * 1024 })

  #hash = createHash('sha256')
  #storedSize = 0
  #tarSize = 0
  #block?: Buffer
  #blockFill = 0
  // Block buffers whose compression finished, reused to avoid page faults and GC of large buffers.
  #spareBlocks: Buffer[] = []
  #inFlight: {
    compressed: Promise<Buffer[]>
    tarOffset: number
    tarLength: number
    reusable?: Buffer
  }[] = []
  #blocks = 0
  #sealer?: RecordSealer
  #headerWritten = false

  constructor(
    private options: TarOptions,
    private onBlock: (block: BlockInfo) => void
  ) {
    if (options.encrypt && options.encryptionKey) {
      this.#sealer = new RecordSealer(createArtifactCipher(options.encryptionKey))
    }
  }

  /** Adds tar bytes; resolves once they are buffered within the memory bound. */
  async write(chunk: Buffer): Promise<void> {
    if (!this.#headerWritten) {
      await this.#writeHeader()
    }

    let offset = 0
    while (offset < chunk.length) {
      this.#block ??= this.#spareBlocks.pop() ?? Buffer.allocUnsafeSlow(this.options.blockSize)
      const copied = chunk.copy(this.#block, this.#blockFill, offset)
      this.#blockFill += copied
      offset += copied
      if (this.#blockFill === this.options.blockSize) {
        await this.#submitBlock()
      }
    }
  }

  /** Writes the remaining blocks and the final record, then ends `output`. */
  async finish(): Promise<ArchiveSummary> {
    if (!this.#headerWritten) {
      await this.#writeHeader()
    }

    if (this.#blockFill > 0) {
      await this.#submitBlock()
    }

    while (this.#inFlight.length > 0) {
      await this.#writeOldestBlock()
    }

    if (this.#sealer) {
      await this.#emit(this.#sealer.finish())
    }

    this.output.end()
    return {
      tarSize: this.#tarSize,
      storedSize: this.#storedSize,
      sha256: this.#hash.digest('hex'),
      blocks: this.#blocks,
    }
  }

  async #writeHeader(): Promise<void> {
    this.#headerWritten = true
    if (this.#sealer) {
      await this.#emit(this.#sealer.cipher.header)
    }
  }

  async #submitBlock(): Promise<void> {
    const block = this.#block!
    const data = block.subarray(0, this.#blockFill)
    this.#block = undefined
    this.#blockFill = 0

    const compressed = compressBlock(data, this.options.compression, this.options.level)
    // Rejections are handled when the block is awaited; this only avoids an unhandled warning.
    compressed.catch(() => {})
    // Without compression the block itself goes to the output, so it cannot be reused.
    const reusable = this.options.compression === 'none' ? undefined : block
    this.#inFlight.push({ compressed, tarOffset: this.#tarSize, tarLength: data.length, reusable })
    this.#tarSize += data.length

    while (this.#inFlight.length >= MAX_BLOCKS_IN_FLIGHT) {
      await this.#writeOldestBlock()
    }
  }

  async #writeOldestBlock(): Promise<void> {
    const block = this.#inFlight.shift()!
    const compressed = await block.compressed
    if (block.reusable) {
      this.#spareBlocks.push(block.reusable)
    }

    const storedOffset = this.#storedSize
    const firstRecord = this.#sealer?.records ?? 0

    for (const piece of compressed) {
      if (this.#sealer) {
        for (const record of this.#sealer.push(piece)) {
          await this.#emit(record)
        }
      } else {
        await this.#emit(piece)
      }
    }
    if (this.#sealer) {
      for (const record of this.#sealer.flush()) {
        await this.#emit(record)
      }
    }

    this.onBlock({
      index: this.#blocks,
      tarOffset: block.tarOffset,
      tarLength: block.tarLength,
      storedOffset,
      storedLength: this.#storedSize - storedOffset,
      firstRecord,
    })
    this.#blocks++
  }

  async #emit(data: Buffer): Promise<void> {
    this.#hash.update(data)
    this.#storedSize += data.length
    await writeChunk(this.output, data)
  }
}
