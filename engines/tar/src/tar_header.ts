import { CofferError } from '@coffer/sdk'

/** Size of a tar header and of the unit that entry data is padded to. */
export const BLOCK_SIZE = 512

/** Fields of one 512-byte ustar header, before pax or GNU long-name overrides. */
export interface RawHeader {
  name: Buffer
  mode: number
  uid: number
  gid: number
  size: number
  mtime: number
  typeflag: string
  linkName: Buffer
}

/** Returns true when a 512-byte block is all zero bytes (one half of the end-of-archive marker). */
export function isZeroBlock(block: Buffer): boolean {
  for (let index = 0; index < BLOCK_SIZE; index++) {
    if (block[index] !== 0) {
      return false
    }
  }

  return true
}

/** Rounds a data size up to whole 512-byte blocks. */
export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE
}

/**
 * Parses a ustar header block (POSIX ustar and GNU variants). Raises `CORRUPT` when the checksum
 * does not match, which is how a misaligned or damaged stream shows up.
 */
export function parseHeader(block: Buffer, offset: number): RawHeader {
  const stored = parseNumber(block.subarray(148, 156))
  const computed = headerChecksum(block)
  if (stored !== computed) {
    throw new CofferError(
      'CORRUPT',
      `invalid tar header at byte ${offset}: checksum is ${stored}, computed ${computed}; the archive is damaged`
    )
  }

  const magic = block.subarray(257, 263).toString('latin1')
  let name = cString(block.subarray(0, 100))
  if (magic === 'ustar\0') {
    const prefix = cString(block.subarray(345, 500))
    if (prefix.length > 0) {
      name = Buffer.concat([prefix, Buffer.from('/'), name])
    }
  }

  return {
    name,
    mode: parseNumber(block.subarray(100, 108)),
    uid: parseNumber(block.subarray(108, 116)),
    gid: parseNumber(block.subarray(116, 124)),
    size: parseNumber(block.subarray(124, 136)),
    mtime: parseNumber(block.subarray(136, 148)),
    typeflag: block[156] === 0 ? '0' : String.fromCharCode(block[156]),
    linkName: cString(block.subarray(157, 257)),
  }
}

/**
 * Parses pax extended header records (`<length> <key>=<value>\n`). Values stay raw bytes, because
 * GNU tar writes non-UTF-8 names as binary (`hdrcharset=BINARY`).
 */
export function parsePaxRecords(data: Buffer, offset: number): Map<string, Buffer> {
  const records = new Map<string, Buffer>()
  let position = 0

  while (position < data.length) {
    if (data[position] === 0) {
      break
    }

    const space = data.indexOf(0x20, position)
    const length =
      space === -1 ? Number.NaN : Number(data.subarray(position, space).toString('latin1'))
    if (!Number.isInteger(length) || length <= 0 || position + length > data.length) {
      throw new CofferError(
        'CORRUPT',
        `invalid pax record at byte ${offset + position}: bad length field; the archive is damaged`
      )
    }

    const record = data.subarray(space + 1, position + length - 1)
    const equals = record.indexOf(0x3d)
    if (equals === -1 || data[position + length - 1] !== 0x0a) {
      throw new CofferError(
        'CORRUPT',
        `invalid pax record at byte ${offset + position}: missing "=" or newline; the archive is damaged`
      )
    }

    records.set(record.subarray(0, equals).toString('utf8'), record.subarray(equals + 1))
    position += length
  }

  return records
}

/** Reads an octal field, or a base-256 field (GNU extension, first byte has the high bit set). */
function parseNumber(field: Buffer): number {
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f
    for (let index = 1; index < field.length; index++) {
      value = value * 256 + field[index]
    }

    return value
  }

  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/g, '')
    .trim()
  if (text.length === 0) {
    return 0
  }

  return Number.parseInt(text, 8)
}

function headerChecksum(block: Buffer): number {
  let sum = 0
  for (let index = 0; index < BLOCK_SIZE; index++) {
    sum += index >= 148 && index < 156 ? 0x20 : block[index]
  }

  return sum
}

function cString(field: Buffer): Buffer {
  const end = field.indexOf(0)
  return Buffer.from(end === -1 ? field : field.subarray(0, end))
}
