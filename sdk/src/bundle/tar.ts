import { CofferError } from '../errors.js'

/** One regular file inside a bundle tar. */
export interface TarFile {
  /** `/`-separated relative name. */
  name: string
  data: Buffer
}

const BLOCK = 512
const MAX_NAME_BYTES = 100
const MAX_PREFIX_BYTES = 155
// An ustar size field has 11 octal digits, so a member is smaller than 8 GiB.
const MAX_SIZE = 8 ** 11 - 1

/**
 * Writes a deterministic ustar archive: members sorted by name bytes, mode 0644, uid and gid 0,
 * empty owner names, mtime 0, then two zero blocks. The same files always give the same bytes.
 */
export function packTar(files: TarFile[]): Buffer {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
  const parts: Buffer[] = []

  for (const [index, file] of sorted.entries()) {
    assertSafeName(file.name)
    if (index > 0 && sorted[index - 1].name === file.name) {
      throw new CofferError('INVALID_ARGUMENT', `duplicate bundle file name "${file.name}"`)
    }

    parts.push(headerFor(file.name, file.data.length), file.data)
    const padding = (BLOCK - (file.data.length % BLOCK)) % BLOCK
    parts.push(Buffer.alloc(padding))
  }

  parts.push(Buffer.alloc(BLOCK * 2))
  return Buffer.concat(parts)
}

/**
 * Reads an ustar archive that `packTar` wrote. Raises `CORRUPT` for a bad checksum, a truncated
 * member or a member that is not a regular file, and `INVALID_ARGUMENT` for an unsafe name.
 */
export function readTar(bytes: Buffer): TarFile[] {
  const files: TarFile[] = []
  const seen = new Set<string>()
  let offset = 0

  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK)
    if (header.every((byte) => byte === 0)) {
      return files
    }

    const { name, size } = parseHeader(header, offset)
    const start = offset + BLOCK
    if (start + size > bytes.length) {
      throw new CofferError(
        'CORRUPT',
        `bundle member "${name}" is truncated: expected ${size} bytes`
      )
    }

    if (seen.has(name)) {
      throw new CofferError('CORRUPT', `bundle contains "${name}" twice`)
    }

    seen.add(name)
    files.push({ name, data: Buffer.from(bytes.subarray(start, start + size)) })
    offset = start + Math.ceil(size / BLOCK) * BLOCK
  }

  throw new CofferError('CORRUPT', 'bundle tar ends without its end-of-archive blocks')
}

/** Raises `INVALID_ARGUMENT` unless `name` is relative, `/`-separated and free of `.`/`..` parts. */
export function assertSafeName(name: string): void {
  const segments = name.split('/')
  const unsafe =
    name.length === 0 ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.includes('\0') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..')

  if (unsafe) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `unsafe bundle file name ${JSON.stringify(name)}: names must be relative, without "..", "." or empty segments`,
      { details: { name } }
    )
  }
}

function headerFor(name: string, size: number): Buffer {
  if (size > MAX_SIZE) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `bundle file "${name}" is ${size} bytes; the limit is 8 GiB`
    )
  }

  const { prefix, base } = splitName(name)
  const header = Buffer.alloc(BLOCK)
  header.write(base, 0, 'utf8')
  header.write('0000644\0', 100, 'ascii')
  header.write('0000000\0', 108, 'ascii')
  header.write('0000000\0', 116, 'ascii')
  header.write(size.toString(8).padStart(11, '0') + '\0', 124, 'ascii')
  header.write('00000000000\0', 136, 'ascii')
  header.write('        ', 148, 'ascii')
  header.write('0', 156, 'ascii')
  header.write('ustar\0', 257, 'ascii')
  header.write('00', 263, 'ascii')
  header.write(prefix, 345, 'utf8')

  const checksum = header.reduce((sum, byte) => sum + byte, 0)
  header.write(checksum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii')
  return header
}

// ustar stores a long name as `prefix/name`, split at a `/`, with at most 155 + 100 bytes.
function splitName(name: string): { prefix: string; base: string } {
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) {
    return { prefix: '', base: name }
  }

  for (let index = name.indexOf('/'); index !== -1; index = name.indexOf('/', index + 1)) {
    const prefix = name.slice(0, index)
    const base = name.slice(index + 1)
    if (
      Buffer.byteLength(prefix) <= MAX_PREFIX_BYTES &&
      Buffer.byteLength(base) <= MAX_NAME_BYTES
    ) {
      return { prefix, base }
    }
  }

  throw new CofferError(
    'INVALID_ARGUMENT',
    `bundle file name "${name}" is too long for ustar; shorten it`
  )
}

function parseHeader(header: Buffer, offset: number): { name: string; size: number } {
  const stored = parseOctal(header.subarray(148, 156))
  const copy = Buffer.from(header)
  copy.write('        ', 148, 'ascii')
  const computed = copy.reduce((sum, byte) => sum + byte, 0)
  if (stored !== computed) {
    throw new CofferError('CORRUPT', `bundle tar header at byte ${offset} has a bad checksum`)
  }

  const type = String.fromCharCode(header[156])
  if (type !== '0' && type !== '\0') {
    throw new CofferError(
      'CORRUPT',
      `bundle tar member at byte ${offset} is not a regular file (type ${JSON.stringify(type)})`
    )
  }

  const base = readString(header.subarray(0, 100))
  const prefix = readString(header.subarray(345, 500))
  const name = prefix ? `${prefix}/${base}` : base
  assertSafeName(name)

  return { name, size: parseOctal(header.subarray(124, 136)) }
}

function readString(field: Buffer): string {
  const end = field.indexOf(0)
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8')
}

function parseOctal(field: Buffer): number {
  const text = readString(field).trim()
  if (!/^[0-7]+$/.test(text)) {
    throw new CofferError(
      'CORRUPT',
      `bundle tar header has an invalid octal field ${JSON.stringify(text)}`
    )
  }

  return Number.parseInt(text, 8)
}
