import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SnapshotRef } from '@coffer/sdk'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { CofferAgent } from '../src/agent.js'
import type { VolumeSnapshot } from '../src/controller/api_types.js'
import { AgentFixture } from './helpers/agent_fixture.js'
import { DockerFixture } from './helpers/docker.js'

describe('agent job kinds', () => {
  let fixture: AgentFixture
  let docker: DockerFixture
  let agent: CofferAgent
  let bindSource: string
  let snapshots: VolumeSnapshot[]

  beforeAll(async () => {
    docker = new DockerFixture()
    fixture = new AgentFixture()
    await fixture.start()
    agent = await fixture.startAgent()
    bindSource = await mkdtemp(join(tmpdir(), 'coffer-agent-bind-'))
    await chmod(bindSource, 0o755)
    await mkdir(join(bindSource, 'conf'))
    await writeFile(join(bindSource, 'conf', 'app.ini'), 'port = 8080\n')
    await writeFile(join(bindSource, 'readme'), 'bind mount\n')
  })

  afterAll(async () => {
    await fixture?.stop()
    await docker?.cleanup()
    await rm(bindSource, { recursive: true, force: true })
  })

  function ref(index: number): SnapshotRef {
    return snapshots[index].snapshot
  }

  test('backs up a volume and a bind mount', async () => {
    const volume = await docker.createVolume('multi')
    const writer = await docker.startContainer(
      'multi-writer',
      [`${volume}:/data`, `${bindSource}:/config`],
      'trap "exit 0" TERM; while true; do date >> /data/log; sleep 0.05; done'
    )
    const snapshotId = randomUUID()
    const jobId = fixture.controller.queueJob(
      fixture.job('backup', {
        snapshotId,
        tags: { 'coffer.resource': 'r2' },
        resource: {
          name: 'app',
          liveMode: false,
          volumes: [
            { type: 'volume', name: volume },
            { type: 'bind', source: bindSource },
          ],
        },
      })
    )
    const completion = await fixture.controller.completion(jobId)

    expect(completion.error).toBeUndefined()
    snapshots = completion.result!.snapshots as VolumeSnapshot[]
    expect(snapshots.map((entry) => entry.volume)).toEqual([volume, bindSource])
    expect(snapshots[0].snapshot.id).toBe(snapshotId)
    expect(snapshots[1].snapshot.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    )
    expect(snapshots[1].snapshot.id).not.toBe(snapshotId)
    expect(snapshots[1].stats.files).toBe(2)
    expect((await writer.inspect()).State.Paused).toBe(false)

    const messages = fixture.controller
      .record(jobId)
      .events.map((event) => (event.type === 'log' ? event.message : ''))
    expect(messages.filter((message) => message.startsWith('pausing'))).toHaveLength(2)
  })

  test('list-files returns the entries', async () => {
    const completion = await fixture.controller.completion(
      fixture.controller.queueJob(fixture.job('list-files', { snapshot: ref(1) }))
    )

    expect(completion.status).toBe('succeeded')
    const paths = completion.result!.files!.map((file) => file.path).sort()
    expect(paths).toEqual(['conf', 'conf/app.ini', 'readme'])
  })

  test('extract uploads a tar of the paths', async () => {
    const jobId = fixture.controller.queueJob(
      fixture.job('extract', { snapshot: ref(1), paths: ['conf'] })
    )
    const completion = await fixture.controller.completion(jobId)

    expect(completion.status).toBe('succeeded')
    const uploaded = fixture.controller.record(jobId).uploaded!
    const listing = spawnSync('tar', ['-tf', '-'], {
      input: uploaded,
      encoding: 'utf8',
    }).stdout.split('\n')
    expect(listing).toContain('./conf/app.ini')
    expect(listing).not.toContain('./readme')
  })

  test('verify, forget, then verify fails', async () => {
    const verified = await fixture.controller.completion(
      fixture.controller.queueJob(fixture.job('verify', { snapshot: ref(0), level: 'structure' }))
    )
    expect(verified.status).toBe('succeeded')
    expect(verified.result?.verify?.ok).toBe(true)

    const forgotten = await fixture.controller.completion(
      fixture.controller.queueJob(fixture.job('forget', { snapshots: [ref(0)] }))
    )
    expect(forgotten.status).toBe('succeeded')
    await expect(stat(join(fixture.localRoot, 'coffer', ref(0).artifacts[0].key))).rejects.toThrow(
      /ENOENT/
    )

    const missing = await fixture.controller.completion(
      fixture.controller.queueJob(fixture.job('verify', { snapshot: ref(0), level: 'structure' }))
    )
    expect(missing.status).toBe('failed')
    expect(missing.error?.code).toBe('CORRUPT')

    const reconciled = await fixture.controller.completion(
      fixture.controller.queueJob(
        fixture.job('verify', { snapshots: [ref(0), ref(1)], level: 'structure' })
      )
    )
    expect(reconciled.result?.verified).toEqual([
      { id: ref(0).id, present: false },
      { id: ref(1).id, present: true },
    ])
  })

  test('revoked token stops the agent', async () => {
    fixture.controller.revokeTokens()

    await expect(agent.finished()).rejects.toThrow(/Remove credentials.json/)
  })
})
