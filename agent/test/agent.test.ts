import { randomUUID } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { CofferAgent } from '../src/agent.js'
import type { SnapshotRef } from '@coffer/sdk'
import type { VolumeSnapshot } from '../src/controller/api_types.js'
import { describeTree, DockerFixture } from './helpers/docker.js'
import { AgentFixture, waitForState } from './helpers/agent_fixture.js'
import { createTestPublisher } from './helpers/test_bundle.js'

const STATIC_CONTENT =
  'mkdir -p /data/conf/nested && echo one > /data/conf/a && echo two > /data/conf/nested/b && ln -s conf/a /data/link'

/** A container command that idles until it is stopped. */
const IDLE = 'trap "exit 0" TERM; while true; do sleep 1; done'

describe('agent with a fake controller', () => {
  let fixture: AgentFixture
  let docker: DockerFixture
  let agent: CofferAgent

  beforeAll(async () => {
    docker = new DockerFixture()
    fixture = new AgentFixture()
    await fixture.start()
    agent = await fixture.startAgent()
  })

  afterAll(async () => {
    await fixture?.stop()
    await docker?.cleanup()
  })

  /** Builds a restore job of `volume`'s snapshot into the new volume `target`. */
  function newVolumeRestore(snapshot: SnapshotRef, volume: string, target: string) {
    return fixture.job('restore', {
      snapshot,
      volume: { type: 'volume', name: volume },
      mode: 'replace',
      target: { type: 'new-volume', name: target },
    })
  }

  /** Backs up one volume and returns the snapshot the agent reported. */
  async function backUp(volume: string) {
    const backup = await fixture.controller.completion(
      fixture.controller.queueJob(
        fixture.job('backup', {
          snapshotId: randomUUID(),
          tags: {},
          resource: { name: 'app', liveMode: false, volumes: [{ type: 'volume', name: volume }] },
        })
      )
    )
    expect(backup.status).toBe('succeeded')
    return (backup.result!.snapshots as VolumeSnapshot[])[0].snapshot
  }

  test('enrollment stores a private token', async () => {
    expect(fixture.controller.enrollments).toHaveLength(1)
    const credentials = await stat(join(fixture.stateDir, 'credentials.json'))
    expect(credentials.mode & 0o777).toBe(0o600)
    expect((await stat(fixture.stateDir)).mode & 0o777).toBe(0o700)
    const stored = JSON.parse(await readFile(join(fixture.stateDir, 'credentials.json'), 'utf8'))
    expect(stored.agentId).toBe(fixture.controller.enrollments[0].agentId)
  })

  test('heartbeat reports the inventory', async () => {
    const volume = await docker.createVolume('inventory')
    const container = await docker.startContainer(
      'inventory',
      [`${volume}:/data`],
      'trap "exit 0" TERM; while true; do sleep 1; done'
    )
    const heartbeat = await fixture.controller.nextHeartbeat()
    const next = heartbeat.inventory.containers.some((entry) => entry.id === container.id)
      ? heartbeat
      : await fixture.controller.nextHeartbeat()

    expect(next.agentVersion).toBe('0.1.0')
    expect(next.dockerVersion).toMatch(/^\d+\.\d+/)
    expect(next.concurrency).toBe(2)
    const reported = next.inventory.containers.find((entry) => entry.id === container.id)
    expect(reported?.mounts[0]).toMatchObject({
      type: 'volume',
      name: volume,
      destination: '/data',
      readWrite: true,
    })
    expect(next.inventory.volumes.map((entry) => entry.name)).toContain(volume)
  })

  test('backup pauses the writer during the copy', async () => {
    const volume = await docker.createVolume('backup')
    const writer = await docker.startWriter('backup-writer', volume)
    const snapshotId = randomUUID()
    const jobId = fixture.controller.queueJob(
      fixture.job(
        'backup',
        {
          snapshotId,
          tags: { 'coffer.resource': 'r1' },
          resource: { name: 'app', liveMode: false, volumes: [{ type: 'volume', name: volume }] },
        },
        { holdMs: 1500 }
      )
    )

    expect(await waitForState(writer, (state) => state.Paused)).toBe(true)
    const completion = await fixture.controller.completion(jobId)

    expect(completion.error).toBeUndefined()
    expect(completion.status).toBe('succeeded')
    const after = await writer.inspect()
    expect(after.State.Paused).toBe(false)
    expect(after.State.Running).toBe(true)

    const [entry] = completion.result!.snapshots as VolumeSnapshot[]
    expect(entry.volume).toBe(volume)
    expect(entry.snapshot.id).toBe(snapshotId)
    expect(entry.stats.files).toBe(2)
    const artifact = entry.snapshot.artifacts[0]
    expect((await stat(join(fixture.localRoot, 'coffer', artifact.key))).size).toBe(artifact.size)
    expect(fixture.controller.record(jobId).events.some((event) => event.type === 'log')).toBe(true)
    expect(agent.runningJobs).not.toContain(jobId)
  })

  test('restore in place stops and restarts containers', async () => {
    const volume = await docker.createVolume('restore')
    expect(await docker.runOnce([`${volume}:/data`], STATIC_CONTENT)).toBe(0)
    const user = await docker.startContainer(
      'restore-user',
      [`${volume}:/data`],
      'trap "exit 0" TERM; while true; do sleep 1; done'
    )
    const mountpoint = await docker.mountpoint(volume)
    const original = await describeTree(mountpoint)

    const backupId = fixture.controller.queueJob(
      fixture.job('backup', {
        snapshotId: randomUUID(),
        tags: {},
        resource: { name: 'app', liveMode: false, volumes: [{ type: 'volume', name: volume }] },
      })
    )
    const backup = await fixture.controller.completion(backupId)
    expect(backup.status).toBe('succeeded')

    expect(
      await docker.runOnce(
        [`${volume}:/data`],
        'rm -r /data/conf/nested && echo changed > /data/conf/a && echo junk > /data/junk'
      )
    ).toBe(0)
    expect(await describeTree(mountpoint)).not.toEqual(original)

    const snapshot = (backup.result!.snapshots as VolumeSnapshot[])[0].snapshot
    const restoreId = fixture.controller.queueJob(
      fixture.job(
        'restore',
        { snapshot, volume: { type: 'volume', name: volume }, mode: 'replace' },
        { holdMs: 1000 }
      )
    )

    expect(await waitForState(user, (state) => !state.Running)).toBe(true)
    const restore = await fixture.controller.completion(restoreId)

    expect(restore.error).toBeUndefined()
    expect(restore.status).toBe('succeeded')
    expect((await user.inspect()).State.Running).toBe(true)
    expect(await describeTree(mountpoint)).toEqual(original)
    expect(restore.result?.restore?.files).toBe(3)
  })

  test('restore into new volume keeps the original', async () => {
    const volume = await docker.createVolume('source')
    expect(await docker.runOnce([`${volume}:/data`], STATIC_CONTENT)).toBe(0)
    const user = await docker.startContainer('source-user', [`${volume}:/data`], IDLE)
    const events = await docker.recordEvents(user)
    const original = await describeTree(await docker.mountpoint(volume))
    const snapshot = await backUp(volume)
    expect(await docker.runOnce([`${volume}:/data`], 'echo changed > /data/conf/a')).toBe(0)
    const changed = await describeTree(await docker.mountpoint(volume))

    const target = docker.volumeName('restored')
    const restoreId = fixture.controller.queueJob(newVolumeRestore(snapshot, volume, target))
    const restore = await fixture.controller.completion(restoreId)
    events.stop()

    expect(restore.error).toBeUndefined()
    expect(restore.status).toBe('succeeded')
    expect(await describeTree(await docker.mountpoint(target))).toEqual(original)
    expect(await describeTree(await docker.mountpoint(volume))).toEqual(changed)
    expect(events.events).not.toContain('stop')
    expect((await user.inspect()).State.Running).toBe(true)
    const labels = (await docker.docker.getVolume(target).inspect()).Labels
    expect(labels['coffer.restored-from']).toBe(snapshot.id)
  })

  test('restore into existing volume name fails', async () => {
    const volume = await docker.createVolume('taken')
    expect(await docker.runOnce([`${volume}:/data`], STATIC_CONTENT)).toBe(0)
    const before = await describeTree(await docker.mountpoint(volume))
    const snapshot = await backUp(volume)
    const other = await docker.createVolume('taken-other')
    expect(await docker.runOnce([`${other}:/data`], 'echo keep > /data/keep')).toBe(0)
    const otherBefore = await describeTree(await docker.mountpoint(other))

    const restore = await fixture.controller.completion(
      fixture.controller.queueJob(newVolumeRestore(snapshot, volume, other))
    )

    expect(restore.status).toBe('failed')
    expect(restore.error?.code).toBe('ALREADY_EXISTS')
    expect(restore.error?.message).toContain(`volume "${other}" already exists`)
    expect(await describeTree(await docker.mountpoint(other))).toEqual(otherBefore)
    expect(await describeTree(await docker.mountpoint(volume))).toEqual(before)
  })

  test('failed restore removes the new volume', async () => {
    const volume = await docker.createVolume('broken')
    const target = docker.volumeName('broken-restored')
    const restoreId = fixture.controller.queueJob(
      newVolumeRestore(
        {
          id: randomUUID(),
          artifacts: [
            { key: 'missing/archive.tar', size: 10, sha256: '0'.repeat(64), role: 'archive' },
          ],
        },
        volume,
        target
      )
    )
    const restore = await fixture.controller.completion(restoreId)

    expect(restore.status).toBe('failed')
    const names = (await docker.docker.listVolumes()).Volumes.map((entry) => entry.Name)
    expect(names).not.toContain(target)
    const messages = fixture.controller
      .record(restoreId)
      .events.map((event) => (event.type === 'log' ? event.message : ''))
    expect(messages).toContain(`removed volume ${target}, which this failed restore had created`)
  })

  test('failing pre hook aborts the backup', async () => {
    const volume = await docker.createVolume('hooks')
    const writer = await docker.startWriter('hooks-writer', volume)
    const name = `${docker.prefix}-hooks-writer`
    const jobId = fixture.controller.queueJob(
      fixture.job('backup', {
        snapshotId: randomUUID(),
        tags: {},
        resource: {
          name: 'app',
          liveMode: false,
          volumes: [{ type: 'volume', name: volume }],
          hooks: [
            {
              container: name,
              pre: ['sh', '-c', 'echo flushing; exit 3'],
              post: ['sh', '-c', 'echo done > /data/post-ran'],
            },
          ],
        },
      })
    )

    const completion = await fixture.controller.completion(jobId)

    expect(completion.status).toBe('failed')
    expect(completion.error?.code).toBe('HOOK_FAILED')
    expect(completion.error?.cause).toContain('flushing')
    expect(await readFile(join(await docker.mountpoint(volume), 'post-ran'), 'utf8')).toBe('done\n')
    expect((await writer.inspect()).State.Paused).toBe(false)
  })

  test('hooks run around a successful backup', async () => {
    const volume = await docker.createVolume('hooks-ok')
    await docker.startWriter('hooks-ok-writer', volume)
    const name = `${docker.prefix}-hooks-ok-writer`
    const jobId = fixture.controller.queueJob(
      fixture.job('backup', {
        snapshotId: randomUUID(),
        tags: {},
        resource: {
          name: 'app',
          liveMode: false,
          volumes: [{ type: 'volume', name: volume }],
          hooks: [
            {
              container: name,
              pre: ['sh', '-c', 'echo dumped > /data/pre-ran'],
              post: ['sh', '-c', 'rm /data/pre-ran'],
            },
          ],
        },
      })
    )

    const completion = await fixture.controller.completion(jobId)

    expect(completion.status).toBe('succeeded')
    const artifact = (completion.result!.snapshots as VolumeSnapshot[])[0].snapshot.artifacts[0]
    const listing = spawnSync('tar', ['-tf', join(fixture.localRoot, 'coffer', artifact.key)], {
      encoding: 'utf8',
    }).stdout
    expect(listing.split('\n')).toContain('./pre-ran')
    await expect(stat(join(await docker.mountpoint(volume), 'pre-ran'))).rejects.toThrow(/ENOENT/)
  })

  test('cancellation aborts the engine and unpauses', async () => {
    const volume = await docker.createVolume('cancel')
    const writer = await docker.startWriter('cancel-writer', volume)
    const jobId = fixture.controller.queueJob(
      fixture.job(
        'backup',
        {
          snapshotId: randomUUID(),
          tags: {},
          resource: { name: 'app', liveMode: false, volumes: [{ type: 'volume', name: volume }] },
        },
        { holdMs: 60_000 }
      )
    )

    expect(await waitForState(writer, (state) => state.Paused)).toBe(true)
    expect(await waitFor(() => fixture.controller.record(jobId).renewals > 0)).toBe(true)
    fixture.controller.cancel(jobId)
    const completion = await fixture.controller.completion(jobId, 20_000)

    expect(completion.status).toBe('cancelled')
    expect(completion.error?.code).toBe('CANCELLED')
    expect((await writer.inspect()).State.Paused).toBe(false)
  })

  test('live mode copies without pausing', async () => {
    const volume = await docker.createVolume('live')
    const writer = await docker.startWriter('live-writer', volume)
    const jobId = fixture.controller.queueJob(
      fixture.job(
        'backup',
        {
          snapshotId: randomUUID(),
          tags: {},
          resource: { name: 'app', liveMode: true, volumes: [{ type: 'volume', name: volume }] },
        },
        { holdMs: 1000 }
      )
    )

    const sawPaused = await waitForState(writer, (state) => state.Paused, 1500)
    const completion = await fixture.controller.completion(jobId)

    expect(sawPaused).toBe(false)
    expect(completion.status).toBe('succeeded')
  })

  test('job timeout fails and unpauses', async () => {
    const volume = await docker.createVolume('timeout')
    const writer = await docker.startWriter('timeout-writer', volume)
    const job = fixture.job(
      'backup',
      {
        snapshotId: randomUUID(),
        tags: {},
        resource: { name: 'app', liveMode: false, volumes: [{ type: 'volume', name: volume }] },
      },
      { holdMs: 60_000 }
    )
    const jobId = fixture.controller.queueJob({ ...job, timeoutSeconds: 2 })
    const completion = await fixture.controller.completion(jobId, 20_000)

    expect(completion.status).toBe('failed')
    expect(completion.error?.code).toBe('TIMEOUT')
    expect(completion.error?.message).toContain('2 seconds')
    expect((await writer.inspect()).State.Paused).toBe(false)
  })

  test('runs at most concurrency jobs', async () => {
    const volume = await docker.createVolume('concurrency')
    const payload = () => ({
      snapshotId: randomUUID(),
      tags: {},
      resource: { name: 'app', liveMode: true, volumes: [{ type: 'volume', name: volume }] },
    })
    fixture.controller.maxLeasedAtOnce = 0
    const ids = [1, 2, 3, 4].map(() =>
      fixture.controller.queueJob(fixture.job('backup', payload(), { holdMs: 1500 }))
    )
    const completions = await Promise.all(ids.map((id) => fixture.controller.completion(id)))

    expect(completions.map((completion) => completion.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ])
    expect(fixture.controller.maxLeasedAtOnce).toBe(2)
    expect(
      fixture.controller.heartbeats.every((heartbeat) => heartbeat.runningJobs.length <= 2)
    ).toBe(true)
  })

  test('tampered bundle is rejected and reported', async () => {
    const tampered = Buffer.from(fixture.bundle.bytes)
    tampered[tampered.length - 600] ^= 0xff
    const { createHash } = await import('node:crypto')
    const digest = createHash('sha256').update(tampered).digest('hex')
    fixture.controller.addBundle(fixture.bundle, tampered, digest)

    const job = fixture.job('list-files', { snapshot: { id: randomUUID(), artifacts: [] } })
    job.engine = { ...job.engine, digest }
    const jobId = fixture.controller.queueJob(job)
    const completion = await fixture.controller.completion(jobId)

    expect(completion.status).toBe('failed')
    expect(completion.error?.code).toBe('DIGEST_MISMATCH')
    const reported = await waitForRejection(fixture, digest)
    expect(reported.code).toBe('DIGEST_MISMATCH')
    expect(reported.reason).toContain('sha256')
  })

  test('bundle from an unknown key is rejected', async () => {
    const stranger = createTestPublisher().build('1.0.1')
    fixture.controller.addBundle(stranger)
    const jobId = fixture.controller.queueJob(
      fixture.job('list-files', { snapshot: { id: randomUUID(), artifacts: [] } }, {}, stranger)
    )
    const completion = await fixture.controller.completion(jobId)

    expect(completion.error?.code).toBe('UNKNOWN_KEY')
    expect((await waitForRejection(fixture, stranger.digest)).code).toBe('UNKNOWN_KEY')
  })

  test('lower engine version is rejected', async () => {
    const older = fixture.publisher.build('0.9.0')
    fixture.controller.addBundle(older)
    const jobId = fixture.controller.queueJob(
      fixture.job('list-files', { snapshot: { id: randomUUID(), artifacts: [] } }, {}, older)
    )
    const completion = await fixture.controller.completion(jobId)

    expect(completion.error?.code).toBe('VERSION_DOWNGRADE')
    const accepted = JSON.parse(
      await readFile(join(fixture.stateDir, 'accepted_engines.json'), 'utf8')
    )
    expect(accepted.engines['coffer-test/tar-cli'].version).toBe('1.0.0')
  })

  test('local destination outside the root fails', async () => {
    const job = fixture.job('list-files', { snapshot: { id: randomUUID(), artifacts: [] } })
    job.destination = { ...job.destination, config: { path: '/etc' } }
    const completion = await fixture.controller.completion(fixture.controller.queueJob(job))

    expect(completion.status).toBe('failed')
    expect(completion.error?.message).toContain('outside COFFER_LOCAL_DESTINATION_ROOT')
  })

  test('restart reuses the stored token', async () => {
    await agent.stop()
    agent = await fixture.startAgent({ env: { COFFER_ENROLLMENT_TOKEN: '' } })
    const before = fixture.controller.heartbeats.length
    await fixture.controller.nextHeartbeat()

    expect(fixture.controller.enrollments).toHaveLength(1)
    expect(fixture.controller.heartbeats.length).toBeGreaterThan(before)

    const older = fixture.publisher.build('0.9.1')
    fixture.controller.addBundle(older)
    const jobId = fixture.controller.queueJob(
      fixture.job('list-files', { snapshot: { id: randomUUID(), artifacts: [] } }, {}, older)
    )
    expect((await fixture.controller.completion(jobId)).error?.code).toBe('VERSION_DOWNGRADE')
  })
})

describe('agent without access to mount points', () => {
  let fixture: AgentFixture
  let docker: DockerFixture

  beforeAll(async () => {
    docker = new DockerFixture()
    fixture = new AgentFixture()
    await fixture.start()
    await fixture.startAgent({ captureMethods: ['helper'] })
  })

  afterAll(async () => {
    await fixture?.stop()
    await docker?.cleanup()
  })

  test('helper container backs up and restores', async () => {
    const volume = await docker.createVolume('helper')
    expect(await docker.runOnce([`${volume}:/data`], STATIC_CONTENT)).toBe(0)
    const user = await docker.startContainer(
      'helper-user',
      [`${volume}:/data`],
      'trap "exit 0" TERM; while true; do sleep 1; done'
    )
    const mountpoint = await docker.mountpoint(volume)
    const original = await describeTree(mountpoint)

    const backupId = fixture.controller.queueJob(
      fixture.job('backup', {
        snapshotId: randomUUID(),
        tags: {},
        resource: { name: 'app', liveMode: false, volumes: [{ type: 'volume', name: volume }] },
      })
    )
    const backup = await fixture.controller.completion(backupId)
    expect(backup.error).toBeUndefined()
    const messages = fixture.controller
      .record(backupId)
      .events.map((event) => (event.type === 'log' ? event.message : ''))
    expect(messages).toContain(`reading volume ${volume} through helper as tar-stream`)

    expect(
      await docker.runOnce([`${volume}:/data`], 'rm -r /data/conf && echo junk > /data/.hidden')
    ).toBe(0)
    const snapshot = (backup.result!.snapshots as VolumeSnapshot[])[0].snapshot
    const restoreId = fixture.controller.queueJob(
      fixture.job('restore', {
        snapshot,
        volume: { type: 'volume', name: volume },
        mode: 'replace',
      })
    )
    const restore = await fixture.controller.completion(restoreId)

    expect(restore.error).toBeUndefined()
    expect(restore.status).toBe('succeeded')
    expect(await describeTree(mountpoint)).toEqual(original)
    expect((await user.inspect()).State.Running).toBe(true)
    expect(await docker.helperContainers(backupId)).toEqual([])
    expect(await docker.helperContainers(restoreId)).toEqual([])
  })
})

async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (predicate()) {
      return true
    }

    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  return false
}

async function waitForRejection(fixture: AgentFixture, digest: string) {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    for (const heartbeat of fixture.controller.heartbeats) {
      const found = heartbeat.rejectedEngines.find((entry) => entry.digest === digest)
      if (found) {
        return found
      }
    }

    await fixture.controller.nextHeartbeat()
  }

  throw new Error(`no heartbeat reported the rejection of ${digest}`)
}
