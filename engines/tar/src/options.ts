import { CofferError } from '@coffer/sdk'
import { decodeEncryptionKey } from './crypto_frame.js'

/** Compression of the archive and index artifacts. */
export type Compression = 'zstd' | 'gzip' | 'none'

/** The engine's per-destination options after defaults and checks. */
export interface TarOptions {
  compression: Compression
  /** Compression level: 1-19 for zstd, 1-9 for gzip. */
  level: number
  /** Whether new artifacts are encrypted. */
  encrypt: boolean
  /** The 32-byte key: required to write when `encrypt` is set, and to read encrypted snapshots. */
  encryptionKey?: Buffer
  /** Bytes of tar stream per independently readable block. */
  blockSize: number
}

/** Default block size: small enough that restoring one file reads little, large enough to compress well. */
export const DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024

const DEFAULT_LEVELS: Record<Compression, number> = { zstd: 3, gzip: 6, none: 0 }
const LEVEL_RANGES: Record<Compression, [number, number]> = {
  zstd: [1, 19],
  gzip: [1, 9],
  none: [0, 0],
}

/** Returns a message per invalid option, without ever echoing the key. */
export function checkOptions(options: Record<string, unknown>): Record<string, string> {
  const problems: Record<string, string> = {}
  const compression = options.compression ?? 'zstd'
  if (compression !== 'zstd' && compression !== 'gzip' && compression !== 'none') {
    problems.compression = 'must be one of "zstd", "gzip", "none"'
    return problems
  }

  const [min, max] = LEVEL_RANGES[compression]
  const level = options.level
  if (
    level !== undefined &&
    (!Number.isInteger(level) || (level as number) < min || (level as number) > max)
  ) {
    problems.level = `must be an integer from ${min} to ${max} for ${compression}`
  }

  const blockSize = options.blockSizeMiB
  if (
    blockSize !== undefined &&
    (!Number.isInteger(blockSize) || (blockSize as number) < 1 || (blockSize as number) > 256)
  ) {
    problems.blockSizeMiB = 'must be an integer from 1 to 256'
  }

  if (options.encryption === true || options.encryptionKey !== undefined) {
    try {
      decodeEncryptionKey(options.encryptionKey)
    } catch (error) {
      problems.encryptionKey = (error as Error).message
    }
  }

  return problems
}

/** Parses options, raising `INVALID_OPTIONS` with every problem listed. */
export function parseOptions(options: Record<string, unknown>): TarOptions {
  const problems = checkOptions(options)
  const fields = Object.keys(problems)
  if (fields.length > 0) {
    const text = fields.map((field) => `${field}: ${problems[field]}`).join('; ')
    throw new CofferError('INVALID_OPTIONS', `invalid tar engine options: ${text}`, {
      details: { fields: problems },
    })
  }

  const compression = (options.compression ?? 'zstd') as Compression
  const parsed: TarOptions = {
    compression,
    encrypt: options.encryption === true,
    level: (options.level as number | undefined) ?? DEFAULT_LEVELS[compression],
    blockSize:
      ((options.blockSizeMiB as number | undefined) ?? DEFAULT_BLOCK_SIZE / 1024 / 1024) *
      1024 *
      1024,
  }

  if (options.encryptionKey !== undefined) {
    parsed.encryptionKey = decodeEncryptionKey(options.encryptionKey)
  }

  return parsed
}
