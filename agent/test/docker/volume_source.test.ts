import { spawn } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { resolveVolume, writers } from '../../src/docker/resolve_volume.js'
import { openVolumeSource, type CaptureMethod } from '../../src/docker/volume_source.js'
import { describeTree, DockerFixture } from '../helpers/docker.js'
import { testLogger } from '../helpers/logger.js'

// Content with a nested folder, an empty file, a symlink, a name with spaces and odd modes.
const POPULATE = [
  'mkdir -p "/data/sub dir/deeper" /data/empty',
  'echo hello > /data/a.txt',
  ': > /data/zero',
  'head -c 100000 /dev/urandom > "/data/sub dir/deeper/random.bin"',
  'ln -s a.txt /data/link',
  'chmod 600 /data/a.txt',
  'chmod 750 "/data/sub dir"',
].join(' && ')

function extract(stream: Readable, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['--numeric-owner', '-xf', '-', '-C', target], {
      stdio: ['pipe', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`tar exited with ${code}: ${stderr}`))
    )
    stream.pipe(child.stdin)
  })
}

describe('openVolumeSource', () => {
  let fixture: DockerFixture
  let volume: string
  let scratch: string

  beforeAll(async () => {
    fixture = new DockerFixture()
    volume = await fixture.createVolume('source')
    expect(await fixture.runOnce([`${volume}:/data`], POPULATE)).toBe(0)
    await fixture.startContainer(
      'source-reader',
      [`${volume}:/data:ro`],
      'trap "exit 0" TERM; while true; do sleep 1; done'
    )
    scratch = await mkdtemp(join(tmpdir(), 'coffer-agent-source-'))
  })

  afterAll(async () => {
    await fixture?.cleanup()
    await rm(scratch, { recursive: true, force: true })
  })

  test('resolve finds mounting containers', async () => {
    const resolved = await resolveVolume(fixture.docker, { type: 'volume', name: volume })

    expect(resolved.key).toBe(volume)
    expect(resolved.hostPath).toBe(await fixture.mountpoint(volume))
    expect(resolved.containers.map((container) => container.name)).toContain(
      `${fixture.prefix}-source-reader`
    )
    expect(writers(resolved).map((container) => container.name)).not.toContain(
      `${fixture.prefix}-source-reader`
    )
  })

  test('resolve rejects a missing volume', async () => {
    await expect(
      resolveVolume(fixture.docker, { type: 'volume', name: `${fixture.prefix}-missing` })
    ).rejects.toThrow(/does not exist on this Docker host/)
  })

  test('resolve rejects an unmounted bind source', async () => {
    await expect(resolveVolume(fixture.docker, { type: 'bind', source: '/etc' })).rejects.toThrow(
      /not mounted by any container/
    )
  })

  test('mountpoint method gives the host path', async () => {
    const resolved = await resolveVolume(fixture.docker, { type: 'volume', name: volume })
    const opened = await openVolumeSource(fixture.docker, resolved, {
      jobId: 'job-path',
      helperImage: fixture.image,
      sources: ['path', 'tar-stream'],
      workDir: scratch,
      logger: testLogger(),
    })

    expect(opened.method).toBe('mountpoint')
    expect(opened.source).toEqual({ kind: 'path', path: resolved.hostPath })
    await opened.close()
  })

  test.each<CaptureMethod>(['container', 'helper'])(
    '%s method streams the same tree',
    async (method) => {
      const resolved = await resolveVolume(fixture.docker, { type: 'volume', name: volume })
      const opened = await openVolumeSource(fixture.docker, resolved, {
        jobId: `job-${method}`,
        helperImage: fixture.image,
        methods: [method],
        sources: ['path', 'tar-stream'],
        workDir: scratch,
        logger: testLogger(),
      })
      expect(opened.method).toBe(method)
      expect(opened.source.kind).toBe('tar-stream')

      const target = await mkdtemp(join(scratch, `${method}-`))
      try {
        await extract((opened.source as { stream: Readable }).stream, target)
      } finally {
        await opened.close()
      }

      expect(await describeTree(target)).toEqual(await describeTree(resolved.hostPath))
      expect(await fixture.helperContainers(`job-${method}`)).toEqual([])
    }
  )

  test('path-only engine gets a staged folder', async () => {
    const resolved = await resolveVolume(fixture.docker, { type: 'volume', name: volume })
    const opened = await openVolumeSource(fixture.docker, resolved, {
      jobId: 'job-staged',
      helperImage: fixture.image,
      methods: ['helper'],
      sources: ['path'],
      workDir: scratch,
      logger: testLogger(),
    })

    expect(opened.source.kind).toBe('path')
    const staged = (opened.source as { path: string }).path
    expect(staged.startsWith(scratch)).toBe(true)
    expect(await describeTree(staged)).toEqual(await describeTree(resolved.hostPath))
    expect(await fixture.helperContainers('job-staged')).toEqual([])

    await opened.close()
    await expect(stat(staged)).rejects.toThrow(/ENOENT/)
  })

  test('stream-only engine gets a tar of the mount point', async () => {
    const resolved = await resolveVolume(fixture.docker, { type: 'volume', name: volume })
    const opened = await openVolumeSource(fixture.docker, resolved, {
      jobId: 'job-stream',
      helperImage: fixture.image,
      sources: ['tar-stream'],
      workDir: scratch,
      logger: testLogger(),
    })
    expect(opened.method).toBe('mountpoint')
    expect(opened.source.kind).toBe('tar-stream')

    const target = await mkdtemp(join(scratch, 'stream-'))
    try {
      await extract((opened.source as { stream: Readable }).stream, target)
    } finally {
      await opened.close()
    }

    expect(await describeTree(target)).toEqual(await describeTree(resolved.hostPath))
  })
})
