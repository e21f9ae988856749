import { pipeline, type Duplex, type Readable, type Writable } from 'node:stream'
import { CofferError } from '@coffer/sdk'

/** Writes to a stream and waits for `drain` when it is full; rejects if the stream closes first. */
export async function writeChunk(
  stream: Writable,
  data: Buffer,
  consumer = 'the upload'
): Promise<void> {
  if (stream.destroyed) {
    throw new CofferError('STORAGE', `${consumer} stream closed before all bytes were written`)
  }

  if (stream.write(data)) {
    return
  }

  await new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      cleanup()
      resolve()
    }
    const onClose = () => {
      cleanup()
      reject(new CofferError('STORAGE', `${consumer} stream closed before all bytes were written`))
    }
    const cleanup = () => {
      stream.off('drain', onDrain)
      stream.off('close', onClose)
      stream.off('error', onClose)
    }
    stream.on('drain', onDrain)
    stream.on('close', onClose)
    stream.on('error', onClose)
  })
}

/**
 * Pipes `source` through `stages` and returns the last stream. An error in any stage, or the
 * consumer stopping early, destroys every stream, so iterating the result rejects with the first
 * failure and no file handle stays open until garbage collection.
 */
export function chainStreams(source: Readable, stages: Duplex[]): Readable {
  if (stages.length === 0) {
    return source
  }

  // The callback only keeps pipeline from reporting an unhandled error, because the same error
  // also reaches the reader of the returned stream.
  return pipeline([source, ...stages], () => {}) as unknown as Readable
}
