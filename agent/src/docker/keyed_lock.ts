/**
 * Mutual exclusion per key, such as a container id, so two jobs never pause, stop or resume the
 * same container at the same time.
 */
export class KeyedLock {
  #tails = new Map<string, Promise<void>>()

  /** Runs `task` while holding every key. Keys are taken in sorted order to avoid deadlocks. */
  async withKeys<T>(keys: string[], task: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort()
    const releases: Array<() => void> = []

    try {
      for (const key of sorted) {
        releases.push(await this.#acquire(key))
      }

      return await task()
    } finally {
      for (const release of releases.reverse()) {
        release()
      }
    }
  }

  async #acquire(key: string): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const current = new Promise<void>((resolve) => {
      release = resolve
    })
    const tail = previous.then(() => current)
    this.#tails.set(key, tail)

    await previous
    return () => {
      release()
      if (this.#tails.get(key) === tail) {
        this.#tails.delete(key)
      }
    }
  }
}
