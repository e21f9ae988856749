import { PassThrough } from 'node:stream'
import { compressBlock } from './compression.js'
import { createArtifactCipher } from './crypto_frame.js'
import { RecordSealer } from './crypto_records.js'
import type { TarOptions } from './options.js'
import { StoredHash } from './stored_hash.js'
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

  #hash = new StoredHash()
  // Resolves once the previous block's bytes went to the hashing thread, which keeps their order.
  #lastHashed: Promise<void> = Promise.resolve()
  #storedSize = 0
  #tarSize = 0
  #block?: Buffer
  #blockFill = 0
  // Block buffers whose compression finished, reused to avoid page faults and GC of large buffers.
  #spareBlocks: Buffer[] = []
  #inFlight: {
    compressed: Promise<Buffer[]>
    /** The compressed block after hashing; absent with encryption, which hashes sealed records. */
    hashed?: Promise<Buffer[]>
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
      await this.#emitHashed([this.#sealer.finish()])
    }

    this.output.end()
    return {
      tarSize: this.#tarSize,
      storedSize: this.#storedSize,
      sha256: await this.#hash.digest(),
      blocks: this.#blocks,
    }
  }

  /** Stops the hashing thread after a failure; `finish` does it on success. */
  async close(): Promise<void> {
    await this.#hash.close()
  }

  async #writeHeader(): Promise<void> {
    this.#headerWritten = true
    if (this.#sealer) {
      // A copy: the hashing thread takes the memory of what it hashes, and the header is shared.
      await this.#emitHashed([Buffer.from(this.#sealer.cipher.header)])
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
    const hashed = this.#sealer ? undefined : this.#hashInOrder(compressed)
    hashed?.catch(() => {})
    this.#inFlight.push({
      compressed,
      hashed,
      tarOffset: this.#tarSize,
      tarLength: data.length,
      reusable,
    })
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

    if (this.#sealer) {
      const records = compressed.flatMap((piece) => this.#sealer!.push(piece))
      records.push(...this.#sealer.flush())
      await this.#emitHashed(records)
    } else {
      await this.#emit(await block.hashed!)
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

  // Sends a compressed block to the hashing thread as soon as it is ready and the block before it
  // was sent, so hashing overlaps the compression of later blocks.
  #hashInOrder(compressed: Promise<Buffer[]>): Promise<Buffer[]> {
    const previous = this.#lastHashed
    let sent!: () => void
    this.#lastHashed = new Promise((resolve) => (sent = resolve))
    return (async () => {
      try {
        const pieces = await compressed
        await previous
        return this.#hash.update(pieces)
      } finally {
        sent()
      }
    })()
  }

  async #emitHashed(pieces: Buffer[]): Promise<void> {
    await this.#lastHashed
    await this.#emit(await this.#hash.update(pieces))
  }

  async #emit(pieces: Buffer[]): Promise<void> {
    for (const piece of pieces) {
      this.#storedSize += piece.length
      await writeChunk(this.output, piece)
    }
  }
}
