import type { FileType } from '@coffer/sdk'
import { CofferError } from '@coffer/sdk'
import { BLOCK_SIZE, isZeroBlock, paddedSize, parseHeader, parsePaxRecords } from './tar_header.js'

/** One archive entry with pax and GNU long-name overrides applied, and its place in the stream. */
export interface TarEntry {
  /** Path as stored in the archive (raw bytes, usually starting with `./`). */
  path: Buffer
  linkPath?: Buffer
  type: FileType | 'unknown'
  typeflag: string
  mode: number
  uid: number
  gid: number
  /** Logical size: the real size of a sparse file, 0 for links. */
  size: number
  /** Modification time in seconds since the epoch, with the fraction pax stores. */
  mtime: number
  /** Offset of the entry's first header (pax or GNU long-name header when present). */
  headerOffset: number
  /** Offset just past the entry's padded data. */
  endOffset: number
}

/** Callbacks of a `TarParser`. */
export interface TarParserHandlers {
  /** Called for each entry before its data; returning false drops the entry from the output. */
  onEntry(entry: TarEntry): boolean | void
  /** When set, receives the bytes of every kept entry, unchanged, in order. */
  onOutput?(chunk: Buffer): void
}

const TYPES: Record<string, FileType> = {
  '0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'character',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
}

// Pax and GNU long-name headers above this size are treated as damage, not buffered.
const MAX_META_SIZE = 16 * 1024 * 1024

type State = 'header' | 'meta' | 'data' | 'end'

/**
 * Streaming parser of POSIX pax and GNU tar headers. It reads only headers and skips data by
 * offset, so it keeps up with the archive at memory use independent of file sizes. With
 * `onOutput` it also works as a filter that passes kept entries through byte for byte.
 */
export class TarParser {
  /** Bytes consumed so far. */
  position = 0
  /** Number of entries reported through `onEntry`. */
  entries = 0

  #state: State = 'header'
  #header = Buffer.alloc(BLOCK_SIZE)
  #headerFill = 0
  #meta: Buffer[] = []
  #metaSize = 0
  #metaRemaining = 0
  #metaType = ''
  #dataRemaining = 0
  #keep = true
  #zeroBlocks = 0
  #pending: Buffer[] = []
  #pendingStart = -1
  #globalMark = -1
  #pax = new Map<string, Buffer>()
  #longName?: Buffer
  #longLink?: Buffer

  constructor(private handlers: TarParserHandlers) {}

  /** True once the end-of-archive marker (two zero blocks) was read. */
  get ended(): boolean {
    return this.#state === 'end'
  }

  /** Consumes the next bytes of the archive. */
  write(chunk: Buffer): void {
    let offset = 0

    while (offset < chunk.length) {
      if (this.#state === 'end') {
        this.position += chunk.length - offset
        return
      }

      if (this.#state === 'data') {
        const take = Math.min(this.#dataRemaining, chunk.length - offset)
        if (this.#keep && this.handlers.onOutput) {
          this.handlers.onOutput(chunk.subarray(offset, offset + take))
        }

        this.#dataRemaining -= take
        this.position += take
        offset += take
        if (this.#dataRemaining === 0) {
          this.#state = 'header'
        }
        continue
      }

      if (this.#state === 'meta') {
        const take = Math.min(this.#metaRemaining, chunk.length - offset)
        const piece = chunk.subarray(offset, offset + take)
        this.#meta.push(Buffer.from(piece))
        this.#remember(piece)
        this.#metaRemaining -= take
        this.position += take
        offset += take
        if (this.#metaRemaining === 0) {
          this.#finishMeta()
        }
        continue
      }

      const take = Math.min(BLOCK_SIZE - this.#headerFill, chunk.length - offset)
      chunk.copy(this.#header, this.#headerFill, offset, offset + take)
      this.#headerFill += take
      offset += take
      this.position += take
      if (this.#headerFill === BLOCK_SIZE) {
        this.#headerFill = 0
        this.#readHeader(this.position - BLOCK_SIZE)
      }
    }
  }

  /**
   * Checks that the archive ended properly. Raises `CORRUPT` when the stream stopped inside an
   * entry or before the end-of-archive marker.
   */
  end(): void {
    if (this.#state === 'end') {
      return
    }

    const atBoundary =
      this.#state === 'header' && this.#headerFill === 0 && this.#pendingStart === -1
    if (atBoundary && this.#zeroBlocks === 1) {
      this.#state = 'end'
      return
    }

    throw new CofferError(
      'CORRUPT',
      `tar stream ends at byte ${this.position} before the end-of-archive marker; the archive is truncated`
    )
  }

  #readHeader(offset: number): void {
    const block = this.#header
    if (isZeroBlock(block)) {
      this.#zeroBlocks++
      if (this.#zeroBlocks === 2) {
        this.#state = 'end'
      }
      return
    }

    if (this.#zeroBlocks > 0) {
      throw new CofferError(
        'CORRUPT',
        `tar header at byte ${offset} follows a zero block; the archive is damaged`
      )
    }

    const header = parseHeader(block, offset)
    this.#globalMark = header.typeflag === 'g' ? this.#pending.length : -1
    if (this.#pendingStart === -1) {
      this.#pendingStart = offset
    }
    this.#remember(block)

    const metaTypes = ['x', 'g', 'L', 'K']
    if (metaTypes.includes(header.typeflag)) {
      if (header.size > MAX_META_SIZE) {
        throw new CofferError(
          'CORRUPT',
          `tar ${header.typeflag} header at byte ${offset} is ${header.size} bytes, over the ${MAX_META_SIZE}-byte limit`
        )
      }

      this.#metaType = header.typeflag
      this.#meta = []
      this.#metaSize = header.size
      this.#metaRemaining = paddedSize(header.size)
      this.#state = this.#metaRemaining > 0 ? 'meta' : 'header'
      if (this.#metaRemaining === 0) {
        this.#finishMeta()
      }
      return
    }

    this.#emitEntry(header, offset)
  }

  #finishMeta(): void {
    const data = Buffer.concat(this.#meta).subarray(0, this.#metaSize)
    this.#state = 'header'
    this.#meta = []

    if (this.#metaType === 'x') {
      for (const [key, value] of parsePaxRecords(data, this.position)) {
        this.#pax.set(key, value)
      }
      return
    }

    if (this.#metaType === 'L') {
      this.#longName = cString(data)
      return
    }

    if (this.#metaType === 'K') {
      this.#longLink = cString(data)
      return
    }

    // A pax global header ('g') is dropped from the output and ignored: GNU tar does not write
    // one, and its values could rename every later entry.
    this.#pending.length = this.#globalMark
    if (this.#pending.length === 0) {
      this.#pendingStart = -1
    }
  }

  #emitEntry(header: ReturnType<typeof parseHeader>, offset: number): void {
    const pax = this.#pax
    const storedSize = numberOf(pax.get('size')) ?? header.size
    const sparseName = pax.get('GNU.sparse.name')
    const realSize =
      numberOf(pax.get('GNU.sparse.realsize')) ?? numberOf(pax.get('GNU.sparse.size'))
    const type = TYPES[header.typeflag] ?? 'unknown'

    const entry: TarEntry = {
      path: sparseName ?? pax.get('path') ?? this.#longName ?? header.name,
      type,
      typeflag: header.typeflag,
      mode: header.mode & 0o7777,
      uid: numberOf(pax.get('uid')) ?? header.uid,
      gid: numberOf(pax.get('gid')) ?? header.gid,
      size: type === 'file' ? (realSize ?? storedSize) : 0,
      mtime: numberOf(pax.get('mtime')) ?? header.mtime,
      headerOffset: this.#pendingStart,
      endOffset: offset + BLOCK_SIZE + paddedSize(storedSize),
    }

    const linkPath = pax.get('linkpath') ?? this.#longLink ?? header.linkName
    if (type === 'hardlink' || type === 'symlink') {
      entry.linkPath = linkPath
    }

    this.#pax = new Map()
    this.#longName = undefined
    this.#longLink = undefined
    this.entries++

    const keep = this.handlers.onEntry(entry) !== false
    this.#keep = keep
    if (keep && this.handlers.onOutput) {
      for (const piece of this.#pending) {
        this.handlers.onOutput(piece)
      }
    }

    this.#pending = []
    this.#pendingStart = -1
    this.#dataRemaining = paddedSize(storedSize)
    this.#state = this.#dataRemaining > 0 ? 'data' : 'header'
  }

  #remember(piece: Buffer): void {
    if (this.handlers.onOutput) {
      this.#pending.push(Buffer.from(piece))
    }
  }
}

function numberOf(value: Buffer | undefined): number | undefined {
  if (value === undefined) {
    return undefined
  }

  const parsed = Number(value.toString('latin1'))
  return Number.isFinite(parsed) ? parsed : undefined
}

function cString(data: Buffer): Buffer {
  const end = data.indexOf(0)
  return end === -1 ? data : data.subarray(0, end)
}
