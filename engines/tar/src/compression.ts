import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { PassThrough, type Transform } from 'node:stream'
import type { Compression } from './options.js'
import { createZstdFrameDecompressor } from './zstd_frames.js'

const zstdCompress = promisify(zlib.zstdCompress)
const gzip = promisify(zlib.gzip)

/** File name suffix of an archive compressed with each method. */
export const COMPRESSION_SUFFIX: Record<Compression, string> = {
  zstd: '.zst',
  gzip: '.gz',
  none: '',
}

/**
 * Compresses one block as a self-contained zstd frame or gzip member, on libuv's thread pool.
 * Concatenated blocks stay a valid `.zst` or `.gz` stream.
 */
export async function compressBlock(
  data: Buffer,
  compression: Compression,
  level: number
): Promise<Buffer> {
  // One output chunk per block: with the default 16 KiB chunks, zlib returns to the main thread
  // after every chunk, which serialized compression and cost most of the engine's CPU time.
  const chunkSize = data.length + 128 * 1024
  if (compression === 'zstd') {
    return zstdCompress(data, {
      chunkSize,
      params: {
        [zlib.constants.ZSTD_c_compressionLevel]: level,
        [zlib.constants.ZSTD_c_checksumFlag]: 1,
      },
    })
  }

  if (compression === 'gzip') {
    return gzip(data, { level, chunkSize })
  }

  return data
}

/** Creates a streaming compressor, for the index. */
export function createCompressor(compression: Compression, level: number): Transform {
  if (compression === 'zstd') {
    return zlib.createZstdCompress({
      params: {
        [zlib.constants.ZSTD_c_compressionLevel]: level,
        [zlib.constants.ZSTD_c_checksumFlag]: 1,
      },
    })
  }

  if (compression === 'gzip') {
    return zlib.createGzip({ level })
  }

  return new PassThrough()
}

/** Creates a streaming decompressor that reads concatenated frames or members. */
export function createDecompressor(compression: Compression): Transform {
  if (compression === 'zstd') {
    return createZstdFrameDecompressor()
  }

  if (compression === 'gzip') {
    return zlib.createGunzip()
  }

  return new PassThrough()
}
