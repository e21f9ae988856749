import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type Docker from 'dockerode'
import { CofferAgent } from '../../src/agent.js'
import { loadConfig } from '../../src/config/load_config.js'
import type { CaptureMethod } from '../../src/docker/volume_source.js'
import type { QueuedJob } from './fake_controller.js'
import { FakeController } from './fake_controller.js'
import { requireServiceEnv } from './services.js'
import { createTestPublisher, type TestBundle, type TestPublisher } from './test_bundle.js'
import { testLogger } from './logger.js'

/** A fake controller, a signed test engine and folders for one or more agents. */
export class AgentFixture {
  readonly controller = new FakeController()
  readonly publisher: TestPublisher = createTestPublisher()
  bundle!: TestBundle
  root = ''
  stateDir = ''
  localRoot = ''
  #agents: CofferAgent[] = []

  /** Starts the fake controller and serves version 1.0.0 of the test engine. */
  async start(): Promise<void> {
    await this.controller.start()
    this.bundle = this.publisher.build('1.0.0')
    this.controller.addBundle(this.bundle)
    this.root = await mkdtemp(join(tmpdir(), 'coffer-agent-e2e-'))
    this.stateDir = join(this.root, 'state')
    this.localRoot = join(this.root, 'backups')
  }

  /** The agent's environment, as an install would set it. */
  env(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      COFFER_CONTROLLER_URL: this.controller.url,
      COFFER_ENROLLMENT_TOKEN: this.controller.enrollmentToken,
      COFFER_STATE_DIR: this.stateDir,
      COFFER_DOCKER_SOCKET: requireServiceEnv('DOCKER_SOCKET', 'docker'),
      COFFER_WORK_DIR: join(this.root, 'work'),
      COFFER_CONCURRENCY: '2',
      COFFER_TRUSTED_KEYS: this.publisher.publicKey.text,
      COFFER_POLL_SECONDS: '2',
      COFFER_HEARTBEAT_SECONDS: '1',
      COFFER_LOCAL_DESTINATION_ROOT: this.localRoot,
      COFFER_HELPER_IMAGE: requireServiceEnv('COFFER_TEST_IMAGE', 'docker'),
      ...overrides,
    }
  }

  /** Starts an agent in this process. */
  async startAgent(
    options: { env?: Record<string, string>; captureMethods?: CaptureMethod[] } = {}
  ): Promise<CofferAgent> {
    const agent = await CofferAgent.start(loadConfig(this.env(options.env)), {
      logger: testLogger(),
      captureMethods: options.captureMethods,
    })
    this.#agents.push(agent)
    return agent
  }

  /** A job on the test engine with a local destination under the local root. */
  job(
    kind: QueuedJob['kind'],
    payload: unknown,
    engineOptions: Record<string, unknown> = {},
    bundle = this.bundle
  ): QueuedJob {
    return {
      kind,
      engine: { id: bundle.id, version: bundle.version, digest: bundle.digest },
      destination: { id: 'destination-1', kind: 'local', config: { path: 'coffer' }, secrets: {} },
      engineOptions,
      payload,
    }
  }

  /** Stops every agent and the controller, and removes the folders. */
  async stop(): Promise<void> {
    for (const agent of this.#agents) {
      await agent.stop()
    }

    await this.controller.stop()
    if (this.root !== '') {
      await rm(this.root, { recursive: true, force: true })
    }
  }
}

/** Polls a container until `predicate` holds for its state, and returns whether it did within `timeoutMs`. */
export async function waitForState(
  container: Docker.Container,
  predicate: (state: { Running: boolean; Paused: boolean }) => boolean,
  timeoutMs = 15_000
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const info = await container.inspect()
    if (predicate(info.State)) {
      return true
    }

    await sleep(50)
  }

  return false
}
