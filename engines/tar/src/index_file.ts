import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'
import { pipeline } from 'node:stream/promises'
import type { Duplex, Readable } from 'node:stream'
import type { FileType } from '@coffer/sdk'
import { CofferError } from '@coffer/sdk'
import type { BlockInfo } from './archive_writer.js'
import { createCompressor, createDecompressor } from './compression.js'
import { createOpenStream, createSealStream } from './crypto_stream.js'
import type { Compression, TarOptions } from './options.js'
import { normalizeArchivePath, pathToText } from './paths.js'
import { chainStreams, writeChunk } from './stream_util.js'
import type { ArtifactFormat } from './layout.js'
import type { TarEntry } from './tar_parser.js'

/** First line of an index. */
export interface IndexHeader {
  format: 'coffer-tar-index'
  version: 1
  snapshotId: string
  compression: Compression
  encrypted: boolean
  blockSize: number
}

/** One archive entry in the index, with short keys because there is one line per file. */
export interface IndexEntry {
  /** Path relative to the volume root, in the form of `pathToText`. */
  p: string
  t: FileType | 'unknown'
  s: number
  m: number
  u: number
  g: number
  /** mtime in seconds, with the fraction the archive stores. */
  mt: number
  /** Link target, in the form of `pathToText` (relative to the volume root for hard links). */
  l?: string
  /** Offset of the entry's first header in the tar stream. */
  o: number
  /** Offset just past the entry's data in the tar stream. */
  n: number
}

/** Last line of an index. */
export interface IndexTrailer {
  entries: number
  blocks: number
  tarSize: number
  archiveSize: number
  archiveSha256: string
}

/** One parsed line of an index. */
export type IndexLine =
  | { kind: 'header'; header: IndexHeader }
  | { kind: 'entry'; entry: IndexEntry }
  | { kind: 'block'; block: BlockInfo }
  | { kind: 'trailer'; trailer: IndexTrailer }

// Lines are batched into writes of about this size.
const BATCH_SIZE = 256 * 1024

/**
 * Writes the index artifact to a local file while the backup runs: one JSON line per entry and
 * per block, compressed and sealed like the archive. Memory use stays bounded by the batch.
 */
export class IndexWriter {
  #batch: string[] = []
  #batchSize = 0
  #input: Duplex
  #done: Promise<void>

  constructor(
    private path: string,
    options: TarOptions,
    header: IndexHeader
  ) {
    this.#input = createCompressor(options.compression, options.level)
    const stages: NodeJS.ReadWriteStream[] = [this.#input]
    if (options.encrypt && options.encryptionKey) {
      stages.push(createSealStream(options.encryptionKey))
    }

    this.#done = pipeline([...stages, createWriteStream(path, { mode: 0o600 })] as any)
    this.#done.catch(() => {})
    this.#add(header)
  }

  /** Adds an archive entry. */
  addEntry(entry: TarEntry): void {
    const line: IndexEntry = {
      p: pathToText(normalizeArchivePath(entry.path)),
      t: entry.type,
      s: entry.size,
      m: entry.mode,
      u: entry.uid,
      g: entry.gid,
      mt: entry.mtime,
      o: entry.headerOffset,
      n: entry.endOffset,
    }

    if (entry.linkPath !== undefined) {
      const link = entry.type === 'hardlink' ? normalizeArchivePath(entry.linkPath) : entry.linkPath
      line.l = pathToText(link)
    }

    this.#add({ e: line })
  }

  /** Adds a block of the archive. */
  addBlock(block: BlockInfo): void {
    this.#add({ b: block })
  }

  /** Writes pending lines when the batch is full, waiting for the compressor. */
  async drain(): Promise<void> {
    if (this.#batchSize >= BATCH_SIZE) {
      await this.#flush()
    }
  }

  /** Adds the trailer and closes the file; returns its size and sha256. */
  async finish(trailer: IndexTrailer): Promise<{ size: number; sha256: string }> {
    this.#add({ end: trailer })
    await this.#flush()
    this.#input.end()
    await this.#done

    const hash = createHash('sha256')
    await pipeline(createReadStream(this.path), hash)
    const info = await stat(this.path)
    return { size: info.size, sha256: hash.digest('hex') }
  }

  #add(value: unknown): void {
    const line = JSON.stringify(value) + '\n'
    this.#batch.push(line)
    this.#batchSize += line.length
  }

  async #flush(): Promise<void> {
    const data = Buffer.from(this.#batch.join(''))
    this.#batch = []
    this.#batchSize = 0
    await writeChunk(this.#input, data)
  }
}

/**
 * Reads an index artifact line by line: opens the records with the key, decompresses and parses
 * each line. Raises `CORRUPT` for a line that is not valid or a missing trailer.
 */
export async function* readIndex(
  body: Readable,
  format: ArtifactFormat,
  key: Buffer | undefined
): AsyncGenerator<IndexLine> {
  const stages: Duplex[] = []
  if (format.encrypted && key) {
    stages.push(createOpenStream(key))
  }
  stages.push(createDecompressor(format.compression))

  const stream = chainStreams(body, stages) as AsyncIterable<Buffer>
  let lineNumber = 0
  let trailerSeen = false
  let rest = ''
  const decoder = new StringDecoder('utf8')

  try {
    for await (const chunk of stream) {
      const text = rest + decoder.write(chunk)
      const parts = text.split('\n')
      rest = parts.pop()!
      for (const part of parts) {
        lineNumber++
        const line = parseLine(part, lineNumber)
        trailerSeen = line.kind === 'trailer'
        yield line
      }
    }
  } catch (error) {
    if (error instanceof CofferError) {
      throw error
    }

    throw new CofferError('CORRUPT', `index artifact cannot be read: ${(error as Error).message}`, {
      cause: error,
    })
  }

  if (!trailerSeen || rest.length > 0) {
    throw new CofferError(
      'CORRUPT',
      `index artifact ends after ${lineNumber} lines without its trailer; the index is truncated`
    )
  }
}

function parseLine(text: string, lineNumber: number): IndexLine {
  let value: Record<string, unknown>
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new CofferError(
      'CORRUPT',
      `index line ${lineNumber} is not valid JSON; the index is damaged`,
      { cause: error }
    )
  }

  if (lineNumber === 1) {
    if (value.format !== 'coffer-tar-index' || value.version !== 1) {
      throw new CofferError(
        'CORRUPT',
        'index does not start with a coffer-tar-index version 1 header'
      )
    }
    return { kind: 'header', header: value as unknown as IndexHeader }
  }

  if (value.e) {
    return { kind: 'entry', entry: value.e as IndexEntry }
  }

  if (value.b) {
    return { kind: 'block', block: value.b as BlockInfo }
  }

  if (value.end) {
    return { kind: 'trailer', trailer: value.end as IndexTrailer }
  }

  throw new CofferError(
    'CORRUPT',
    `index line ${lineNumber} has no known record; the index is damaged`
  )
}
