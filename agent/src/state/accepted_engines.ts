import { compareSemanticVersions } from '@coffer/sdk'
import { readJsonFile, writeFileAtomic } from './atomic_file.js'

/** The highest version of one engine the agent accepted, and the bundle it came in. */
export interface AcceptedEngine {
  version: string
  digest: string
  acceptedAt: string
}

/**
 * The record of the highest version accepted per engine id, kept in the state folder so that a
 * restart still rejects older versions of an engine.
 */
export class AcceptedEngines {
  readonly path: string
  #engines: Record<string, AcceptedEngine>
  #queue: Promise<void> = Promise.resolve()

  private constructor(path: string, engines: Record<string, AcceptedEngine>) {
    this.path = path
    this.#engines = engines
  }

  /** Loads the record at `path`. A missing file is an empty record. */
  static async open(path: string): Promise<AcceptedEngines> {
    const file = await readJsonFile<{ engines?: Record<string, AcceptedEngine> }>(path)
    return new AcceptedEngines(path, file?.engines ?? {})
  }

  /** Returns the highest accepted version of an engine, or undefined when none was accepted. */
  highest(engineId: string): string | undefined {
    return this.#engines[engineId]?.version
  }

  /** Records that `version` was accepted, unless a higher one already was. */
  record(engineId: string, version: string, digest: string): Promise<void> {
    const next = this.#queue.then(async () => {
      const current = this.#engines[engineId]
      if (current && compareSemanticVersions(version, current.version) <= 0) {
        return
      }

      this.#engines[engineId] = { version, digest, acceptedAt: new Date().toISOString() }
      await writeFileAtomic(this.path, JSON.stringify({ engines: this.#engines }, null, 2) + '\n')
    })

    this.#queue = next.catch(() => {})
    return next
  }
}
