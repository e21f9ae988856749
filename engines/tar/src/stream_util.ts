import type { Duplex, Readable, Writable } from 'node:stream'
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
 * Pipes `source` through `stages` and returns the last stream. An error in any stage destroys the
 * stages after it with that error, so iterating the result rejects with the first failure.
 */
export function chainStreams(source: Readable, stages: Duplex[]): Readable {
  let current: Readable = source
  for (const stage of stages) {
    const previous = current
    previous.on('error', (error) => stage.destroy(error))
    previous.pipe(stage)
    current = stage
  }

  return current
}
