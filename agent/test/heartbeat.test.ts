import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ControllerClient } from '../src/controller/client.js'
import { EngineStore } from '../src/engines/engine_store.js'
import { Heartbeat } from '../src/heartbeat.js'
import { AcceptedEngines } from '../src/state/accepted_engines.js'
import { FakeController } from './helpers/fake_controller.js'
import { testLogger } from './helpers/logger.js'

describe('Heartbeat', () => {
  const controller = new FakeController()
  let folder: string
  let client: ControllerClient

  beforeAll(async () => {
    await controller.start()
    folder = await mkdtemp(join(tmpdir(), 'coffer-agent-heartbeat-'))
    const { token } = await new ControllerClient(new URL(controller.url)).enroll({
      enrollmentToken: controller.enrollmentToken,
      hostname: 'test',
      agentVersion: '0.1.0',
    })
    client = new ControllerClient(new URL(controller.url), token)
  })

  afterAll(async () => {
    await controller.stop()
    await rm(folder, { recursive: true, force: true })
  })

  test('sent while Docker is down', async () => {
    const docker = new Docker({ socketPath: join(folder, 'missing.sock') })
    const engines = new EngineStore({
      root: folder,
      client,
      trustedKeys: [],
      accepted: await AcceptedEngines.open(join(folder, 'accepted.json')),
      agentVersion: '0.1.0',
      logger: testLogger(),
    })
    engines.restoreRejected([
      { digest: 'a'.repeat(64), reason: 'test rejection', code: 'BAD_SIGNATURE' },
    ])

    const response = await new Heartbeat().send({
      client,
      docker,
      engines,
      agentVersion: '0.1.0',
      concurrency: 3,
      runningJobs: ['job-1'],
      logger: testLogger(),
    })

    expect(response.heartbeatSeconds).toBe(controller.heartbeatSeconds)
    const sent = controller.heartbeats.at(-1)!
    expect(sent.dockerVersion).toBe('unavailable')
    expect(sent.inventory).toEqual({ containers: [], volumes: [] })
    expect(sent.runningJobs).toEqual(['job-1'])
    expect(sent.concurrency).toBe(3)
    expect(sent.rejectedEngines.map((entry) => entry.code)).toEqual(['BAD_SIGNATURE'])
    expect(engines.takeRejected()).toEqual([])
  })
})
