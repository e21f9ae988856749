import { readJsonFile, writeFileAtomic } from './atomic_file.js'

/** What the agent did to a container and must undo: `pause` is undone by unpause, `stop` by start. */
export type ContainerAction = 'pause' | 'stop'

/** One container the agent paused or stopped and has not yet resumed. */
export interface JournalEntry {
  containerId: string
  containerName: string
  action: ContainerAction
  jobId: string
  recordedAt: string
}

interface JournalFile {
  version: 1
  entries: JournalEntry[]
}

/**
 * The fsynced record of containers the agent paused or stopped. An entry is written before the
 * container is paused or stopped and removed only after it runs again, so after a crash the agent
 * can tell what to resume. Writes are serialized, so concurrent jobs never lose each other's entries.
 */
export class ContainerJournal {
  readonly path: string
  #entries: JournalEntry[]
  #queue: Promise<void> = Promise.resolve()

  private constructor(path: string, entries: JournalEntry[]) {
    this.path = path
    this.#entries = entries
  }

  /** Loads the journal at `path`. A missing file is an empty journal. */
  static async open(path: string): Promise<ContainerJournal> {
    const file = await readJsonFile<JournalFile>(path)
    const entries = Array.isArray(file?.entries) ? file.entries : []
    return new ContainerJournal(path, entries)
  }

  /** The entries not yet removed. */
  entries(): JournalEntry[] {
    return [...this.#entries]
  }

  /** Records entries and returns once the file is on disk. */
  add(entries: JournalEntry[]): Promise<void> {
    return this.#update(() => {
      this.#entries.push(...entries)
    })
  }

  /** Removes the entries of the given container ids and returns once the file is on disk. */
  remove(containerIds: string[]): Promise<void> {
    const removed = new Set(containerIds)
    return this.#update(() => {
      this.#entries = this.#entries.filter((entry) => !removed.has(entry.containerId))
    })
  }

  #update(change: () => void): Promise<void> {
    const next = this.#queue.then(async () => {
      change()
      const file: JournalFile = { version: 1, entries: this.#entries }
      await writeFileAtomic(this.path, JSON.stringify(file, null, 2) + '\n')
    })

    // A failed write must not block later writes, and the caller still receives the failure.
    this.#queue = next.catch(() => {})
    return next
  }
}
