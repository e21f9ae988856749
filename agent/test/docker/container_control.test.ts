import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ContainerControl } from '../../src/docker/container_control.js'
import { ContainerJournal } from '../../src/state/container_journal.js'
import { DockerFixture } from '../helpers/docker.js'
import { testLogger } from '../helpers/logger.js'

describe('ContainerControl', () => {
  let fixture: DockerFixture
  let stateDir: string

  beforeAll(async () => {
    fixture = new DockerFixture()
    stateDir = await mkdtemp(join(tmpdir(), 'coffer-agent-control-'))
  })

  afterAll(async () => {
    await fixture?.cleanup()
    await rm(stateDir, { recursive: true, force: true })
  })

  async function openControl(name: string) {
    const journal = await ContainerJournal.open(join(stateDir, `${name}.json`))
    return { journal, control: new ContainerControl(fixture.docker, journal, testLogger()) }
  }

  test('pauses writer only during the task', async () => {
    const volume = await fixture.createVolume('pause')
    const writer = await fixture.startWriter('pause-writer', volume)
    const mountpoint = await fixture.mountpoint(volume)
    const { journal, control } = await openControl('pause')
    await sleep(200)

    await control.withPaused('job-1', [{ id: writer.id, name: 'writer' }], async () => {
      const during = await fixture.state(writer)
      expect(during.paused).toBe(true)

      const recorded = JSON.parse(await readFile(journal.path, 'utf8'))
      expect(recorded.entries.map((entry: { containerId: string }) => entry.containerId)).toEqual([
        writer.id,
      ])
      expect(recorded.entries[0].action).toBe('pause')

      const first = await readFile(join(mountpoint, 'log'), 'utf8')
      await sleep(300)
      const second = await readFile(join(mountpoint, 'log'), 'utf8')
      expect(second).toBe(first)
    })

    const after = await fixture.state(writer)
    expect(after.paused).toBe(false)
    expect(after.running).toBe(true)
    expect(journal.entries()).toEqual([])

    const before = await readFile(join(mountpoint, 'log'), 'utf8')
    await sleep(300)
    expect(await readFile(join(mountpoint, 'log'), 'utf8')).not.toBe(before)
  })

  test('unpauses when the task throws', async () => {
    const volume = await fixture.createVolume('throw')
    const writer = await fixture.startWriter('throw-writer', volume)
    const { journal, control } = await openControl('throw')

    const task = control.withPaused('job-2', [{ id: writer.id, name: 'writer' }], async () => {
      throw new Error('copy failed')
    })

    await expect(task).rejects.toThrow('copy failed')
    expect((await fixture.state(writer)).paused).toBe(false)
    expect(journal.entries()).toEqual([])
  })

  test('leaves a container paused by someone else alone', async () => {
    const volume = await fixture.createVolume('foreign')
    const writer = await fixture.startWriter('foreign-writer', volume)
    await writer.pause()
    const { journal, control } = await openControl('foreign')

    await control.withPaused('job-3', [{ id: writer.id, name: 'writer' }], async () => {
      expect(journal.entries()).toEqual([])
    })

    expect((await fixture.state(writer)).paused).toBe(true)
    await writer.unpause()
  })

  test('recover unpauses journaled containers', async () => {
    const volume = await fixture.createVolume('recover')
    const writer = await fixture.startWriter('recover-writer', volume)
    const stopped = await fixture.startWriter('recover-stopped', volume)
    const first = await openControl('recover')
    await first.journal.add([
      {
        containerId: writer.id,
        containerName: 'writer',
        action: 'pause',
        jobId: 'job-4',
        recordedAt: new Date().toISOString(),
      },
      {
        containerId: stopped.id,
        containerName: 'stopped',
        action: 'stop',
        jobId: 'job-4',
        recordedAt: new Date().toISOString(),
      },
      {
        containerId: 'f'.repeat(64),
        containerName: 'gone',
        action: 'pause',
        jobId: 'job-4',
        recordedAt: new Date().toISOString(),
      },
    ])
    await writer.pause()
    await stopped.stop({ t: 0 })

    // A new journal object reads the file, as the agent does after a restart.
    const second = await openControl('recover')
    const failed = await second.control.recover()

    expect(failed).toEqual([])
    expect((await fixture.state(writer)).paused).toBe(false)
    expect((await fixture.state(stopped)).running).toBe(true)
    expect(second.journal.entries()).toEqual([])
    expect(JSON.parse(await readFile(second.journal.path, 'utf8')).entries).toEqual([])
  })

  test('stops and starts around the task', async () => {
    const volume = await fixture.createVolume('stop')
    const writer = await fixture.startWriter('stop-writer', volume)
    const { journal, control } = await openControl('stop')

    await control.withStopped('job-5', [{ id: writer.id, name: 'writer' }], async () => {
      expect((await fixture.state(writer)).running).toBe(false)
      expect(journal.entries().map((entry) => entry.action)).toEqual(['stop'])
    })

    expect((await fixture.state(writer)).running).toBe(true)
    expect(journal.entries()).toEqual([])
  })
})
