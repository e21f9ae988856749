import type Docker from 'dockerode'
import type { HeartbeatResponse } from './controller/api_types.js'
import type { ControllerClient } from './controller/client.js'
import { collectInventory, dockerVersion, type Inventory } from './docker/inventory.js'
import type { EngineStore } from './engines/engine_store.js'
import type { AgentLogger } from './logger.js'

/** Inputs of one heartbeat. */
export interface HeartbeatOptions {
  client: ControllerClient
  docker: Docker
  engines: EngineStore
  agentVersion: string
  concurrency: number
  runningJobs: string[]
  logger: AgentLogger
}

/** Sends heartbeats, remembering the last inventory for when the Docker daemon does not respond. */
export class Heartbeat {
  #lastInventory: Inventory = { containers: [], volumes: [] }
  #dockerFailing = false

  /**
   * Sends one heartbeat with the host's inventory and the engine bundles rejected since the last
   * one. Rejections whose heartbeat fails are kept for the next one. When Docker does not
   * respond, the heartbeat still goes out, with Docker version `unavailable` and the last
   * inventory, so the controller keeps seeing the agent online and can still cancel its jobs.
   */
  async send(options: HeartbeatOptions): Promise<HeartbeatResponse> {
    let version = 'unavailable'
    try {
      const [daemonVersion, inventory] = await Promise.all([
        dockerVersion(options.docker),
        collectInventory(options.docker),
      ])
      version = daemonVersion
      this.#lastInventory = inventory
      if (this.#dockerFailing) {
        options.logger.info('the Docker daemon responds again')
      }
      this.#dockerFailing = false
    } catch (error) {
      if (!this.#dockerFailing) {
        options.logger.error(
          { err: error },
          'the Docker daemon does not respond; heartbeats carry the last inventory'
        )
      }
      this.#dockerFailing = true
    }

    const rejectedEngines = options.engines.takeRejected()
    try {
      return await options.client.heartbeat({
        agentVersion: options.agentVersion,
        dockerVersion: version,
        concurrency: options.concurrency,
        runningJobs: options.runningJobs,
        inventory: this.#lastInventory,
        rejectedEngines,
      })
    } catch (error) {
      options.engines.restoreRejected(rejectedEngines)
      throw error
    }
  }
}
