import type Docker from 'dockerode'
import type { AgentConfig } from '../config/load_config.js'
import type { LeasedJob, JobResult } from '../controller/api_types.js'
import type { ControllerClient } from '../controller/client.js'
import type { EventBatcher } from '../controller/event_batcher.js'
import type { ContainerControl } from '../docker/container_control.js'
import type { CaptureMethod } from '../docker/volume_source.js'
import type { EngineStore } from '../engines/engine_store.js'
import type { AgentLogger } from '../logger.js'

/** What every job needs from the agent. */
export interface JobDependencies {
  config: AgentConfig
  client: ControllerClient
  docker: Docker
  containers: ContainerControl
  engines: EngineStore
  logger: AgentLogger
  agentVersion: string
  /** Ways to read or write a volume, in the order to try them. All of them by default, and tests narrow the list. */
  captureMethods?: readonly CaptureMethod[]
}

/** One running job: the lease, its abort signal, its event stream and its scratch folder. */
export interface JobContext {
  job: LeasedJob
  signal: AbortSignal
  events: EventBatcher
  logger: AgentLogger
  /** A private folder for this job, removed when it ends. */
  workDir: string
}

/** What a job handler returns: the result and whether warnings turn success into `succeeded_with_warnings`. */
export interface JobOutcome {
  result: JobResult
  warnings: boolean
}
