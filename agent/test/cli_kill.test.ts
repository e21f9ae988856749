import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { AgentFixture, waitForState } from './helpers/agent_fixture.js'
import { spawnAgent, type AgentProcess } from './helpers/agent_process.js'
import { DockerFixture } from './helpers/docker.js'

describe('agent process stopped during a backup', () => {
  let fixture: AgentFixture
  let docker: DockerFixture
  const processes: AgentProcess[] = []

  beforeAll(async () => {
    docker = new DockerFixture()
    fixture = new AgentFixture()
    await fixture.start()
  })

  afterAll(async () => {
    for (const agent of processes) {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.child.kill('SIGKILL')
        await agent.exited
      }
    }

    await fixture?.stop()
    await docker?.cleanup()
  })

  test('restart unpauses the writer', async () => {
    const volume = await docker.createVolume('kill')
    const writer = await docker.startWriter('kill-writer', volume)
    const first = spawnAgent(fixture.env())
    processes.push(first)

    const jobId = fixture.controller.queueJob(
      fixture.job(
        'backup',
        {
          snapshotId: randomUUID(),
          tags: {},
          resource: { name: 'app', liveMode: false, volumes: [{ type: 'volume', name: volume }] },
        },
        { holdMs: 120_000 }
      )
    )
    expect(await waitForState(writer, (state) => state.Paused, 30_000)).toBe(true)
    const journal = JSON.parse(
      await readFile(join(fixture.stateDir, 'container_journal.json'), 'utf8')
    )
    expect(journal.entries.map((entry: { containerId: string }) => entry.containerId)).toEqual([
      writer.id,
    ])

    first.child.kill('SIGKILL')
    expect((await first.exited).signal).toBe('SIGKILL')
    expect((await writer.inspect()).State.Paused).toBe(true)

    const second = spawnAgent(fixture.env({ COFFER_ENROLLMENT_TOKEN: '' }))
    processes.push(second)
    expect(await waitForState(writer, (state) => state.Running && !state.Paused, 30_000)).toBe(true)
    await fixture.controller.nextHeartbeat()

    const after = JSON.parse(
      await readFile(join(fixture.stateDir, 'container_journal.json'), 'utf8')
    )
    expect(after.entries).toEqual([])
    expect(fixture.controller.enrollments).toHaveLength(1)
    // The killed agent never reported the job, and the controller fails it when its lease expires.
    expect(fixture.controller.record(jobId).completion).toBeUndefined()

    second.child.kill('SIGTERM')
    expect((await second.exited).code).toBe(0)
    expect(second.output()).toContain('agent stopped')
  })
  test('SIGTERM unpauses and reports', async () => {
    const volume = await docker.createVolume('term')
    const writer = await docker.startWriter('term-writer', volume)
    const agent = spawnAgent(fixture.env({ COFFER_ENROLLMENT_TOKEN: '' }))
    processes.push(agent)

    const jobId = fixture.controller.queueJob(
      fixture.job(
        'backup',
        {
          snapshotId: randomUUID(),
          tags: {},
          resource: { name: 'app', liveMode: false, volumes: [{ type: 'volume', name: volume }] },
        },
        { holdMs: 120_000 }
      )
    )
    expect(await waitForState(writer, (state) => state.Paused, 30_000)).toBe(true)

    agent.child.kill('SIGTERM')
    const completion = await fixture.controller.completion(jobId, 30_000)

    expect((await agent.exited).code).toBe(0)
    expect(completion.status).toBe('failed')
    expect(completion.error?.message).toContain('it received SIGTERM')
    const state = (await writer.inspect()).State
    expect(state.Paused).toBe(false)
    expect(state.Running).toBe(true)
  })
})
