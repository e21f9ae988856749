import { hostname } from 'node:os'
import { mkdir } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type Docker from 'dockerode'
import { CofferError } from '@coffer/sdk'
import type { AgentConfig } from './config/load_config.js'
import { ControllerClient, ControllerError } from './controller/client.js'
import { createDockerClient } from './docker/client.js'
import { ContainerControl } from './docker/container_control.js'
import type { CaptureMethod } from './docker/volume_source.js'
import { EngineStore } from './engines/engine_store.js'
import { buildTrustedKeys } from './engines/trusted_keys.js'
import { ensureEnrolled } from './enrollment.js'
import { Heartbeat } from './heartbeat.js'
import { startJob, type RunningJob } from './jobs/run_job.js'
import type { AgentLogger } from './logger.js'
import { AcceptedEngines } from './state/accepted_engines.js'
import { ContainerJournal } from './state/container_journal.js'
import { removeStaleFolders } from './state/stale_folders.js'
import { prepareStateDir } from './state/state_dir.js'
import { AGENT_VERSION } from './version.js'

/** Options of `CofferAgent.start` beyond the settings. */
export interface AgentStartOptions {
  logger: AgentLogger
  /** Ways to read or write volumes. Tests narrow the list to reach the container or helper paths. */
  captureMethods?: readonly CaptureMethod[]
}

/**
 * The agent daemon. Start-up resumes containers a previous run left paused or stopped, then
 * enrolls (once), then runs two loops until `stop`: heartbeats, and long-poll leasing of at most
 * `concurrency` jobs at once.
 */
export class CofferAgent {
  readonly #config: AgentConfig
  readonly #logger: AgentLogger
  readonly #docker: Docker
  readonly #client: ControllerClient
  readonly #containers: ContainerControl
  readonly #engines: EngineStore
  readonly #captureMethods?: readonly CaptureMethod[]
  readonly #running = new Map<string, RunningJob>()
  readonly #stopController = new AbortController()
  #slotFreed: (() => void) | undefined
  #heartbeatSeconds: number
  #loops: Promise<void>[] = []
  #stopping: Promise<void> | undefined
  #fatal: Error | undefined

  private constructor(
    config: AgentConfig,
    options: AgentStartOptions,
    parts: {
      docker: Docker
      client: ControllerClient
      containers: ContainerControl
      engines: EngineStore
    }
  ) {
    this.#config = config
    this.#logger = options.logger
    this.#captureMethods = options.captureMethods
    this.#docker = parts.docker
    this.#client = parts.client
    this.#containers = parts.containers
    this.#engines = parts.engines
    this.#heartbeatSeconds = config.heartbeatSeconds
  }

  /** Prepares the state folder, resumes suspended containers, enrolls and starts both loops. */
  static async start(config: AgentConfig, options: AgentStartOptions): Promise<CofferAgent> {
    const { logger } = options
    const paths = await prepareStateDir(config.stateDir)
    await mkdir(config.workDir, { recursive: true, mode: 0o700 })
    await removeStaleFolders(config.workDir, paths.engines, logger)

    const docker = createDockerClient(config.dockerSocket)
    const journal = await ContainerJournal.open(paths.containerJournal)
    const containers = new ContainerControl(docker, journal, logger)
    const leftOver = await containers.recover()
    if (leftOver.length > 0) {
      logger.error(
        { containers: leftOver.map((entry) => entry.containerName) },
        'some containers could not be resumed; check the Docker daemon'
      )
    }

    const client = new ControllerClient(config.controllerUrl)
    const credentials = await ensureEnrolled({
      config,
      client,
      credentialsPath: paths.credentials,
      hostname: await hostName(docker),
      agentVersion: AGENT_VERSION,
      logger,
    })
    client.setToken(credentials.token)

    const engines = new EngineStore({
      root: paths.engines,
      client,
      trustedKeys: buildTrustedKeys(config.extraTrustedKeys),
      accepted: await AcceptedEngines.open(paths.acceptedEngines),
      agentVersion: AGENT_VERSION,
      logger,
    })

    const agent = new CofferAgent(config, options, { docker, client, containers, engines })
    agent.#loops = [agent.#heartbeatLoop(), agent.#leaseLoop()]
    logger.info(
      { agentId: credentials.agentId, version: AGENT_VERSION, concurrency: config.concurrency },
      'agent started'
    )
    return agent
  }

  /** Ids of the jobs running now. */
  get runningJobs(): string[] {
    return [...this.#running.keys()]
  }

  /**
   * Resolves when the agent has stopped and its jobs have ended, or rejects when it stopped
   * because of a fatal error.
   */
  async finished(): Promise<void> {
    await Promise.all(this.#loops)
    await this.#stopping
    if (this.#fatal) {
      throw this.#fatal
    }
  }

  /** Stops leasing, aborts running jobs (which resume their containers) and waits for them. */
  stop(reason = 'the agent is stopping'): Promise<void> {
    this.#stopping ??= this.#stop(reason)
    return this.#stopping
  }

  async #stop(reason: string): Promise<void> {
    this.#logger.info({ runningJobs: this.runningJobs }, `stopping: ${reason}`)
    this.#stopController.abort()

    for (const job of this.#running.values()) {
      job.abort(new CofferError('INTERNAL', `job aborted because ${reason}`))
    }

    this.#slotFreed?.()
    await Promise.allSettled([...this.#running.values()].map((job) => job.done))
    await Promise.allSettled(this.#loops)
  }

  async #heartbeatLoop(): Promise<void> {
    const signal = this.#stopController.signal
    const heartbeat = new Heartbeat()
    let failures = 0

    while (!signal.aborted) {
      try {
        const response = await heartbeat.send({
          client: this.#client,
          docker: this.#docker,
          engines: this.#engines,
          agentVersion: AGENT_VERSION,
          concurrency: this.#config.concurrency,
          runningJobs: this.runningJobs,
          logger: this.#logger,
        })
        if (failures > 0) {
          this.#logger.info({ failures }, 'heartbeats reach the controller again')
        }

        failures = 0
        this.#applyHeartbeat(response.cancelJobs ?? [], response.heartbeatSeconds)
      } catch (error) {
        if (this.#isFatal(error)) {
          return
        }

        failures += 1
        // Log the first failure and then every tenth, so an outage does not flood the log.
        if (failures === 1 || failures % 10 === 0) {
          this.#logger.warn({ err: error, failures }, 'heartbeat failed')
        }
      }

      await sleep(this.#heartbeatSeconds * 1000, undefined, { signal }).catch(() => {})
    }
  }

  #applyHeartbeat(cancelJobs: string[], heartbeatSeconds: number | undefined): void {
    for (const jobId of cancelJobs) {
      const job = this.#running.get(jobId)
      if (job) {
        this.#logger.info({ jobId }, 'cancellation requested in a heartbeat response')
        job.abort(new CofferError('CANCELLED', `job ${jobId} was cancelled from the controller`))
      }
    }

    if (typeof heartbeatSeconds === 'number' && heartbeatSeconds >= 1 && heartbeatSeconds <= 3600) {
      this.#heartbeatSeconds = heartbeatSeconds
    }
  }

  async #leaseLoop(): Promise<void> {
    const signal = this.#stopController.signal
    let failures = 0

    while (!signal.aborted) {
      if (this.#running.size >= this.#config.concurrency) {
        await new Promise<void>((resolve) => (this.#slotFreed = resolve))
        continue
      }

      try {
        const capacity = this.#config.concurrency - this.#running.size
        const job = await this.#client.lease(capacity, this.#config.pollSeconds, signal)
        failures = 0
        if (job) {
          this.#start(job)
        }
      } catch (error) {
        if (signal.aborted || this.#isFatal(error)) {
          return
        }

        failures += 1
        const delaySeconds = Math.min(30, 2 ** Math.min(failures, 5))
        this.#logger.warn({ err: error, failures, delaySeconds }, 'lease request failed; retrying')
        await sleep(delaySeconds * 1000, undefined, { signal }).catch(() => {})
      }
    }
  }

  #start(job: Parameters<typeof startJob>[1]): void {
    const running = startJob(
      {
        config: this.#config,
        client: this.#client,
        docker: this.#docker,
        containers: this.#containers,
        engines: this.#engines,
        logger: this.#logger,
        agentVersion: AGENT_VERSION,
        captureMethods: this.#captureMethods,
      },
      job
    )
    this.#running.set(job.id, running)

    void running.done
      .catch((error) =>
        this.#logger.error({ err: error, jobId: job.id }, 'job ended with an unexpected error')
      )
      .finally(() => {
        this.#running.delete(job.id)
        const freed = this.#slotFreed
        this.#slotFreed = undefined
        freed?.()
      })
  }

  // A 401 means the token was revoked or belongs to another controller: retrying cannot help.
  #isFatal(error: unknown): boolean {
    if (!(error instanceof ControllerError) || error.status !== 401) {
      return false
    }

    if (!this.#fatal) {
      this.#fatal = new Error(
        `the controller rejected the agent's token (${error.message}); the agent was revoked or enrolled elsewhere. Remove credentials.json from ${this.#config.stateDir} and restart with a new COFFER_ENROLLMENT_TOKEN`,
        { cause: error }
      )
      this.#logger.fatal({ err: error }, this.#fatal.message)
      void this.stop('the controller rejected the token')
    }

    return true
  }
}

// The Docker host's name identifies the host in the panel, because inside a container
// os.hostname() returns only the container id.
async function hostName(docker: Docker): Promise<string> {
  try {
    const info = (await docker.info()) as { Name?: string }
    return info.Name || hostname()
  } catch {
    return hostname()
  }
}
