import zlib from 'node:zlib'
import { PassThrough, type Transform } from 'node:stream'
import { finished } from 'node:stream/promises'
import type { Compression } from './options.js'
import { createZstdFrameDecompressor } from './zstd_frames.js'

/** File name suffix of an archive compressed with each method. */
export const COMPRESSION_SUFFIX: Record<Compression, string> = {
  zstd: '.zst',
  gzip: '.gz',
  none: '',
}

/**
 * Compresses one block as a self-contained zstd frame or gzip member, on libuv's thread pool,
 * and returns the frame in the pieces zlib produced. Concatenated blocks stay a valid `.zst` or
 * `.gz` stream.
 */
export async function compressBlock(
  data: Buffer,
  compression: Compression,
  level: number
): Promise<Buffer[]> {
  if (compression === 'none') {
    return [data]
  }

  // One output chunk per block: with the default 16 KiB chunks, zlib returns to the main thread
  // after every chunk, which serialized compression and cost most of the engine's CPU time.
  const chunkSize = data.length + 128 * 1024
  const compressor =
    compression === 'zstd'
      ? zlib.createZstdCompress({ chunkSize, params: zstdParams(level) })
      : zlib.createGzip({ level, chunkSize })

  // A stream rather than the one-shot zlib.zstdCompress, whose Buffer.concat copies the whole
  // output once more. That copy took about a tenth of the engine's main-thread time.
  const chunks: Buffer[] = []
  compressor.on('data', (chunk: Buffer) => chunks.push(chunk))
  compressor.end(data)
  await finished(compressor)
  return chunks
}

function zstdParams(level: number) {
  return {
    [zlib.constants.ZSTD_c_compressionLevel]: level,
    [zlib.constants.ZSTD_c_checksumFlag]: 1,
  }
}

/** Creates a streaming compressor, for the index. */
export function createCompressor(compression: Compression, level: number): Transform {
  if (compression === 'zstd') {
    return zlib.createZstdCompress({ params: zstdParams(level) })
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
