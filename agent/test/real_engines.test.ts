import { spawnSync } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { VolumeSnapshot } from '../src/controller/api_types.js'
import type { CaptureMethod } from '../src/docker/volume_source.js'
import { AgentFixture } from './helpers/agent_fixture.js'
import { describeTree, DockerFixture } from './helpers/docker.js'
import type { TestBundle } from './helpers/test_bundle.js'

const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const STATIC_CONTENT =
  'mkdir -p "/data/www/assets" && echo "<h1>hi</h1>" > /data/www/index.html && head -c 200000 /dev/urandom > /data/www/assets/blob && ln -s www/index.html /data/home'

// Builds an engine of this repository with the SDK's `coffer-engine build` into `folder`.
async function buildEngine(name: string, folder: string): Promise<Buffer> {
  const out = join(folder, name)
  const result = spawnSync(
    process.execPath,
    [
      join(REPOSITORY_ROOT, 'sdk/dist/cli.js'),
      'build',
      '--package',
      join(REPOSITORY_ROOT, 'engines', name),
      '--out',
      out,
    ],
    { encoding: 'utf8' }
  )
  if (result.status !== 0) {
    throw new Error(`coffer-engine build of engines/${name} failed: ${result.stderr}`)
  }

  const [file] = (await readdir(out)).filter((entry) => entry.endsWith('.bundle'))
  return readFile(join(out, file))
}

describe.each<[string, CaptureMethod, () => Record<string, unknown>]>([
  ['tar', 'container', () => ({ compression: 'zstd' })],
  ['restic', 'helper', () => ({ repositoryPassword: randomBytes(32).toString('base64') })],
])('%s engine through the %s method', (engineName, method, makeOptions) => {
  let fixture: AgentFixture
  let docker: DockerFixture
  let engine: TestBundle
  let buildFolder: string
  const options = makeOptions()

  beforeAll(async () => {
    docker = new DockerFixture()
    fixture = new AgentFixture()
    await fixture.start()
    buildFolder = await mkdtemp(join(tmpdir(), 'coffer-agent-build-'))
    engine = fixture.publisher.sign(await buildEngine(engineName, buildFolder))
    fixture.controller.addBundle(engine)
    await fixture.startAgent({ captureMethods: [method] })
  })

  afterAll(async () => {
    await fixture?.stop()
    await docker?.cleanup()
    await rm(buildFolder, { recursive: true, force: true })
  })

  test('backup pauses the writer', async () => {
    const volume = await docker.createVolume(`${engineName}-writer`)
    const writer = await docker.startWriter(`${engineName}-writer`, volume)
    const recorder = await docker.recordEvents(writer)
    const jobId = fixture.controller.queueJob(
      fixture.job(
        'backup',
        {
          snapshotId: randomUUID(),
          tags: {},
          resource: { name: 'app', liveMode: false, volumes: [{ type: 'volume', name: volume }] },
        },
        options,
        engine
      )
    )

    const completion = await fixture.controller.completion(jobId, 120_000)
    await new Promise((resolve) => setTimeout(resolve, 200))
    recorder.stop()

    expect(completion.error).toBeUndefined()
    expect(completion.status).toMatch(/^succeeded/)
    expect(recorder.events).toEqual(['pause', 'unpause'])
    const messages = fixture.controller
      .record(jobId)
      .events.map((event) => (event.type === 'log' ? event.message : ''))
    const tool = engineName === 'tar' ? 'tar' : 'restic'
    expect(messages).toContainEqual(
      expect.stringMatching(
        new RegExp(`^engine coffer/${engineName} \\S+, running ${tool} \\d+\\.\\d+`)
      )
    )
    const state = (await writer.inspect()).State
    expect(state.Running).toBe(true)
    expect(state.Paused).toBe(false)
  })

  test('restore in place matches the tree', async () => {
    const volume = await docker.createVolume(`${engineName}-static`)
    expect(await docker.runOnce([`${volume}:/data`], STATIC_CONTENT)).toBe(0)
    const user = await docker.startContainer(
      `${engineName}-user`,
      [`${volume}:/data`],
      'trap "exit 0" TERM; while true; do sleep 1; done'
    )
    const mountpoint = await docker.mountpoint(volume)
    const original = await describeTree(mountpoint)

    const backup = await fixture.controller.completion(
      fixture.controller.queueJob(
        fixture.job(
          'backup',
          {
            snapshotId: randomUUID(),
            tags: {},
            resource: { name: 'app', liveMode: false, volumes: [{ type: 'volume', name: volume }] },
          },
          options,
          engine
        )
      ),
      120_000
    )
    expect(backup.error).toBeUndefined()

    expect(
      await docker.runOnce([`${volume}:/data`], 'rm -r /data/www/assets && echo junk > /data/junk')
    ).toBe(0)
    const snapshot = (backup.result!.snapshots as VolumeSnapshot[])[0].snapshot
    const restore = await fixture.controller.completion(
      fixture.controller.queueJob(
        fixture.job(
          'restore',
          { snapshot, volume: { type: 'volume', name: volume }, mode: 'replace' },
          options,
          engine
        )
      ),
      120_000
    )

    expect(restore.error).toBeUndefined()
    expect(restore.status).toMatch(/^succeeded/)
    expect(await describeTree(mountpoint)).toEqual(original)
    expect((await user.inspect()).State.Running).toBe(true)
  })
})
