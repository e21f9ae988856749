import type Docker from 'dockerode'
import type { AgentLogger } from '../logger.js'
import type { ContainerAction, ContainerJournal, JournalEntry } from '../state/container_journal.js'
import { isNotFound, isNotModified } from './client.js'
import { KeyedLock } from './keyed_lock.js'

/** A container to pause or stop. */
export interface ContainerRef {
  id: string
  name: string
}

/**
 * Pauses and stops containers for a job and resumes them afterwards. Each container is recorded
 * in the journal before it is paused or stopped, and `recover` resumes what the journal lists, so
 * a crash in between never leaves a container paused or stopped for good.
 */
export class ContainerControl {
  readonly #docker: Docker
  readonly #journal: ContainerJournal
  readonly #logger: AgentLogger
  readonly #lock = new KeyedLock()

  constructor(docker: Docker, journal: ContainerJournal, logger: AgentLogger) {
    this.#docker = docker
    this.#journal = journal
    this.#logger = logger
  }

  /**
   * Pauses the running containers among `containers`, runs `task`, and unpauses them in a
   * `finally`. Containers that are not running, or that someone else paused, are left alone.
   */
  withPaused<T>(jobId: string, containers: ContainerRef[], task: () => Promise<T>): Promise<T> {
    return this.#withSuspended('pause', jobId, containers, task)
  }

  /** Stops the running containers among `containers`, runs `task`, then starts them again. */
  withStopped<T>(jobId: string, containers: ContainerRef[], task: () => Promise<T>): Promise<T> {
    return this.#withSuspended('stop', jobId, containers, task)
  }

  /**
   * Resumes every container the journal lists, removing each entry only after its container runs
   * again (or no longer exists). Returns the entries it could not resume, which stay recorded.
   */
  async recover(): Promise<JournalEntry[]> {
    const failed: JournalEntry[] = []

    for (const entry of this.#journal.entries()) {
      try {
        await this.#resume(entry.containerId, entry.action)
        await this.#journal.remove([entry.containerId])
        this.#logger.info(
          {
            containerId: entry.containerId,
            container: entry.containerName,
            jobId: entry.jobId,
            action: entry.action,
          },
          'resumed a container left suspended by an earlier run of the agent'
        )
      } catch (error) {
        failed.push(entry)
        this.#logger.error(
          {
            err: error,
            containerId: entry.containerId,
            container: entry.containerName,
            action: entry.action,
          },
          'failed to resume a container listed in the journal; it stays recorded and is retried at the next start'
        )
      }
    }

    return failed
  }

  async #withSuspended<T>(
    action: ContainerAction,
    jobId: string,
    containers: ContainerRef[],
    task: () => Promise<T>
  ): Promise<T> {
    const ids = containers.map((container) => container.id)

    return this.#lock.withKeys(ids, async () => {
      const suspended: ContainerRef[] = []
      try {
        for (const container of containers) {
          if (await this.#suspend(action, jobId, container)) {
            suspended.push(container)
          }
        }

        return await task()
      } finally {
        await this.#resumeAll(action, jobId, suspended)
      }
    })
  }

  // Returns true when this call paused or stopped the container.
  async #suspend(
    action: ContainerAction,
    jobId: string,
    container: ContainerRef
  ): Promise<boolean> {
    const handle = this.#docker.getContainer(container.id)
    const info = await handle.inspect()
    if (!info.State.Running || info.State.Paused) {
      return false
    }

    const entry: JournalEntry = {
      containerId: container.id,
      containerName: container.name,
      action,
      jobId,
      recordedAt: new Date().toISOString(),
    }
    await this.#journal.add([entry])

    try {
      if (action === 'pause') {
        await handle.pause()
      } else {
        await handle.stop()
      }
    } catch (error) {
      if (!isNotModified(error)) {
        await this.#journal.remove([container.id])
        throw new Error(
          `failed to ${action} container ${container.name} (${container.id}): ${(error as Error).message}`,
          {
            cause: error,
          }
        )
      }
    }

    this.#logger.info(
      { jobId, containerId: container.id, container: container.name },
      `${action === 'pause' ? 'paused' : 'stopped'} container`
    )
    return true
  }

  async #resumeAll(
    action: ContainerAction,
    jobId: string,
    containers: ContainerRef[]
  ): Promise<void> {
    const failures: string[] = []

    for (const container of containers) {
      try {
        await this.#resume(container.id, action)
        await this.#journal.remove([container.id])
        this.#logger.info(
          { jobId, containerId: container.id, container: container.name },
          `${action === 'pause' ? 'unpaused' : 'started'} container`
        )
      } catch (error) {
        failures.push(`${container.name}: ${(error as Error).message}`)
        this.#logger.error(
          { err: error, jobId, containerId: container.id, container: container.name },
          `failed to ${action === 'pause' ? 'unpause' : 'start'} container; it stays in the journal and is retried at the next agent start`
        )
      }
    }

    if (failures.length > 0) {
      throw new Error(
        `failed to resume ${failures.length} container(s) after the job: ${failures.join('; ')}`
      )
    }
  }

  async #resume(containerId: string, action: ContainerAction): Promise<void> {
    const handle = this.#docker.getContainer(containerId)
    let info
    try {
      info = await handle.inspect()
    } catch (error) {
      if (isNotFound(error)) {
        return
      }

      throw error
    }

    try {
      if (action === 'pause' && info.State.Paused) {
        await handle.unpause()
      }

      if (action === 'stop' && !info.State.Running) {
        await handle.start()
      }
    } catch (error) {
      if (!isNotModified(error)) {
        throw error
      }
    }
  }
}
