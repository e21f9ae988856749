import { Worker, isMarkedAsUntransferable } from 'node:worker_threads'
import { CofferError } from '@coffer/sdk'

interface Pending {
  resolve: (pieces: Buffer[]) => void
  reject: (error: Error) => void
}

/**
 * The sha256 of the stored bytes, computed on a worker thread. On the main thread, hashing cost
 * about 0.5 s of CPU per GiB stored (measured with perf on a 2-core machine) and delayed the
 * reading of tar's output. Pieces move to the worker and back without a copy, because their memory
 * is transferred, so a piece must not be used between `update` and the moment its promise resolves.
 */
export class StoredHash {
  #worker = new Worker(`(${hashWorker.toString()})()`, { eval: true })
  #pending = new Map<number, Pending>()
  #nextId = 0
  #failure?: Error
  #digest?: string

  constructor() {
    this.#worker.unref()
    this.#worker.on(
      'message',
      (message: { id: number; pieces?: Uint8Array[]; digest?: string }) => {
        if (message.digest !== undefined) {
          this.#digest = message.digest
        }
        const pending = this.#pending.get(message.id)
        this.#pending.delete(message.id)
        pending?.resolve(
          (message.pieces ?? []).map((piece) =>
            Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)
          )
        )
      }
    )
    this.#worker.on('error', (error) => this.#fail(error))
    this.#worker.on('exit', (code) => {
      this.#fail(new Error(`the hashing thread exited with code ${code}`))
    })
  }

  /**
   * Hashes `pieces` after every piece passed to earlier calls, and resolves with the same bytes
   * once they are hashed, ready to be written.
   */
  update(pieces: Buffer[]): Promise<Buffer[]> {
    const transfer = new Set<ArrayBuffer>()
    for (const piece of pieces) {
      const memory = piece.buffer as ArrayBuffer
      if (!isMarkedAsUntransferable(memory)) {
        transfer.add(memory)
      }
    }

    return this.#call({ pieces }, [...transfer])
  }

  /** Resolves with the hex digest of everything passed to `update`, and stops the thread. */
  async digest(): Promise<string> {
    await this.#call({ finish: true }, [])
    await this.close()
    return this.#digest!
  }

  /** Stops the thread; pending calls reject. Safe to call more than once. */
  async close(): Promise<void> {
    this.#failure ??= new Error('the hashing thread was stopped')
    await this.#worker.terminate()
  }

  #call(message: { pieces?: Buffer[]; finish?: boolean }, transfer: ArrayBuffer[]) {
    if (this.#failure) {
      return Promise.reject(this.#wrap(this.#failure))
    }

    const id = this.#nextId++
    return new Promise<Buffer[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#worker.postMessage({ id, ...message }, transfer)
    })
  }

  #fail(error: Error) {
    this.#failure ??= error
    for (const pending of this.#pending.values()) {
      pending.reject(this.#wrap(error))
    }
    this.#pending.clear()
  }

  #wrap(error: Error) {
    return new CofferError('INTERNAL', `hashing the stored bytes failed: ${error.message}`, {
      cause: error,
    })
  }
}

// The worker's whole program. It runs from its source text, so it may use only what it loads
// itself; process.getBuiltinModule works there without require or import.
function hashWorker() {
  const { createHash } = process.getBuiltinModule('node:crypto')
  const { parentPort } = process.getBuiltinModule('node:worker_threads')
  const hash = createHash('sha256')
  parentPort!.on('message', (message: { id: number; pieces?: Uint8Array[]; finish?: boolean }) => {
    if (message.finish) {
      parentPort!.postMessage({ id: message.id, digest: hash.digest('hex') })
      return
    }

    const pieces = message.pieces ?? []
    const transfer = new Set<ArrayBuffer>()
    for (const piece of pieces) {
      hash.update(piece)
      transfer.add(piece.buffer as ArrayBuffer)
    }
    parentPort!.postMessage({ id: message.id, pieces }, [...transfer])
  })
}
