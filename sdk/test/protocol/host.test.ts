import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { packBundle } from '../../src/bundle/pack.js'
import { readTar } from '../../src/bundle/tar.js'
import { unpackBundle } from '../../src/bundle/unpack.js'
import { isCofferError, type CofferError } from '../../src/errors.js'
import { STREAM_WINDOW } from '../../src/protocol/connection.js'
import { processEngine } from '../../src/protocol/process_engine.js'
import {
  startEngineProcess,
  type EngineLogEntry,
  type StartEngineProcessOptions,
} from '../../src/protocol/host.js'
import type { LocalStorage } from '../../src/storage_local.js'
import { TEST_ENGINE_DIR, type temporaryFolder } from '../helpers.js'
import { createEngineFixture, type EngineFixture } from './engine_fixture.js'

const MiB = 1024 * 1024
const SECRET = 'hunter2-correct-horse-battery'

let folder: Awaited<ReturnType<typeof temporaryFolder>>
let runnerPath: string
let bundleDir: string
let storage: LocalStorage

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer)
  }

  return hash.digest('hex')
}

function start(overrides: Partial<StartEngineProcessOptions> = {}) {
  return startEngineProcess({ bundleDir, storage, runnerPath, ...overrides })
}

async function rejection(promise: Promise<unknown>): Promise<CofferError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason
  )
  expect(isCofferError(error), `expected a CofferError, got ${String(error)}`).toBe(true)
  return error as CofferError
}

let fixture: EngineFixture

beforeAll(async () => {
  fixture = await createEngineFixture(TEST_ENGINE_DIR, 'protocol')
  ;({ folder, runnerPath, bundleDir, storage } = fixture)
})

afterAll(async () => {
  await fixture?.remove()
})

describe('engine process handshake', () => {
  it('agrees on API 1', async () => {
    const engine = await start()
    expect(engine.apiVersion).toBe(1)
    expect(engine.manifest.id).toBe('coffer-test/echo')
    await engine.close()
  })

  it('describes the engine from its manifest', async () => {
    const engine = await start()
    const description = await engine.describe({ options: {} })
    expect(description.id).toBe('coffer-test/echo')
    expect(description.version).toBe('1.2.3')
    expect(description.capabilities).toEqual(engine.manifest.capabilities)
    expect(description.tools).toEqual({})
    await engine.close()
  })

  it('accepts a relative bundle folder', async () => {
    const engine = await start({ bundleDir: relative(process.cwd(), bundleDir) })
    expect(engine.manifest.id).toBe('coffer-test/echo')
    await engine.close()
  })

  it('rejects an engine API older than the host', async () => {
    const error = await rejection(start({ apiVersions: [2, 3] }))
    expect(error.code).toBe('API_TOO_OLD')
    expect(error.message).toContain('coffer-test/echo')
  })

  it('rejects an engine API newer than the host', async () => {
    const built = await readFile(join(folder.path, 'out', 'coffer-test-echo-1.2.3.bundle'))
    const files = new Map(readTar(built).map((file) => [file.name, file.data]))
    const manifest = JSON.parse(files.get('engine.json')!.toString('utf8'))
    files.delete('engine.json')
    const newer = packBundle({ ...manifest, apiVersions: [2] }, files)
    const newerDir = join(folder.path, 'engine-api-2')
    await unpackBundle(newer.bytes, newerDir)

    const error = await rejection(start({ bundleDir: newerDir }))
    expect(error.code).toBe('API_TOO_NEW')
  })

  it('rejects an agent older than minAgentVersion', async () => {
    const error = await rejection(start({ agentVersion: '0.0.9' }))
    expect(error.code).toBe('AGENT_TOO_OLD')
  })
})

describe('engine process calls', () => {
  it('streams a 64 MiB put through storage', async () => {
    const progress: number[] = []
    const engine = await start({ onProgress: (event) => progress.push(event.bytesDone) })
    const started = Date.now()
    const result = await engine.backup(
      { options: { behavior: 'normal', putBytes: 64 * MiB } },
      { snapshotId: 'big', source: { kind: 'path', path: '/nonexistent' }, tags: {} }
    )
    const seconds = (Date.now() - started) / 1000
    await engine.close()

    const artifact = result.snapshot.artifacts[0]
    expect(artifact.size).toBe(64 * MiB)
    expect(await sha256OfFile(join(storage.root, artifact.key))).toBe(artifact.sha256)
    expect(progress).toEqual([64 * MiB])
    // Generous bound: 64 MiB through two pipes should take well under this on any machine.
    expect(seconds).toBeLessThan(30)
  })

  it('sends a tar-stream source as data', async () => {
    const engine = await start()
    const data = randomBytes(5 * MiB + 17)
    const result = await engine.backup(
      { options: { behavior: 'normal' } },
      {
        snapshotId: 'from-tar',
        source: {
          kind: 'tar-stream',
          stream: Readable.from([data.subarray(0, MiB), data.subarray(MiB)]),
        },
        tags: {},
      }
    )

    const expected = createHash('sha256').update(data).digest('hex')
    expect(result.snapshot.artifacts[0].sha256).toBe(expected)
    expect(await sha256OfFile(join(storage.root, 'snapshots/from-tar.bin'))).toBe(expected)

    const target = join(folder.path, 'restore-target')
    await mkdir(target)
    await engine.restore(
      { options: { behavior: 'normal' } },
      { snapshot: result.snapshot, target, mode: 'merge' }
    )
    expect(await sha256OfFile(join(target, 'restored.bin'))).toBe(expected)

    const snapshots = await engine.listSnapshots({ options: { behavior: 'normal' } })
    const listed = snapshots.find((snapshot) => snapshot.id === 'from-tar')
    expect(listed?.time).toBeInstanceOf(Date)

    const files = await engine.listFiles(
      { options: { behavior: 'normal' } },
      { snapshot: result.snapshot }
    )
    expect(files[0].mtime).toBeInstanceOf(Date)

    await engine.forget({ options: { behavior: 'normal' } }, { snapshots: [result.snapshot] })
    expect(await storage.stat('snapshots/from-tar.bin')).toBeNull()
    await engine.close()
  })

  it('bounds buffering for a slow reader', async () => {
    let maxBuffered = 0
    let received = 0
    const slowStorage = Object.create(storage) as LocalStorage
    // Reads 64 KiB every 5 ms and records how many bytes the stream buffers while it waits.
    slowStorage.put = async (_key, body) => {
      let ended = false
      body.once('end', () => (ended = true))
      while (!ended) {
        await new Promise((resolve) => setTimeout(resolve, 5))
        maxBuffered = Math.max(maxBuffered, body.readableLength)
        const chunk = body.read(64 * 1024) as Buffer | null
        if (chunk) {
          received += chunk.length
          continue
        }

        await new Promise((resolve) => {
          body.once('readable', resolve)
          body.once('end', resolve)
        })
      }

      return { size: received }
    }

    const engine = await start({ storage: slowStorage })
    await engine.backup(
      { options: { behavior: 'normal', putBytes: 12 * MiB } },
      { snapshotId: 'slow', source: { kind: 'path', path: '/' }, tags: {} }
    )
    await engine.close()

    expect(received).toBe(12 * MiB)
    // The receiver buffers at most its high-water mark plus one credit window.
    expect(maxBuffered).toBeLessThanOrEqual(2 * STREAM_WINDOW)
  })

  it('returns validateOptions messages', async () => {
    const engine = await start()
    expect(await engine.validateOptions({ options: { behavior: 'normal', putBytes: 13 } })).toEqual(
      {
        putBytes: 'must not be 13',
      }
    )
    await engine.close()
  })

  it('passes a typed engine error through', async () => {
    const engine = await start()
    const error = await rejection(
      engine.backup(
        { options: { behavior: 'fail' } },
        { snapshotId: 'x', source: { kind: 'path', path: '/' }, tags: {} }
      )
    )
    expect(error.code).toBe('REPOSITORY_LOCKED')
    expect(error.details).toEqual({ lockedBy: 'test' })
    await engine.close()
  })
})

describe('engine process failures', () => {
  it('cancels a call through its signal', async () => {
    const engine = await start()
    const controller = new AbortController()
    const call = engine.backup(
      { options: { behavior: 'wait-for-cancel' }, signal: controller.signal },
      { snapshotId: 'c', source: { kind: 'path', path: '/' }, tags: {} }
    )
    setTimeout(() => controller.abort(), 200)

    const error = await rejection(call)
    expect(error.code).toBe('CANCELLED')
    expect(await engine.validateOptions({ options: { behavior: 'normal' } })).toEqual({})
    await engine.close()
  })

  it('kills an engine that ignores cancel', async () => {
    const engine = await start({ cancelGraceMs: 300 })
    const controller = new AbortController()
    const call = engine.backup(
      { options: { behavior: 'ignore-cancel' }, signal: controller.signal },
      { snapshotId: 'k', source: { kind: 'path', path: '/' }, tags: {} }
    )
    setTimeout(() => controller.abort(), 100)

    const error = await rejection(call)
    expect(error.code).toBe('CANCELLED')
    expect(error.message).toContain('killed')
    await engine.close()
    const next = await rejection(engine.validateOptions({ options: { behavior: 'normal' } }))
    expect(next.code).toBe('ENGINE_CRASHED')
  })

  it('reports a crashed engine', async () => {
    const engine = await start()
    const error = await rejection(
      engine.backup(
        { options: { behavior: 'crash' } },
        { snapshotId: 'x', source: { kind: 'path', path: '/' }, tags: {} }
      )
    )
    expect(error.code).toBe('ENGINE_CRASHED')
    expect(error.message).toContain('exited with code 3')
    await engine.close()
  })
})

describe('engine process secrets', () => {
  it('keeps secrets out of argv and env', async () => {
    process.env.COFFER_TEST_AGENT_TOKEN = SECRET
    const logs: EngineLogEntry[] = []
    const engine = await start({ onLog: (entry) => logs.push(entry) })
    delete process.env.COFFER_TEST_AGENT_TOKEN

    const cmdline = await readFile(`/proc/${engine.pid}/cmdline`, 'utf8')
    const environ = await readFile(`/proc/${engine.pid}/environ`, 'utf8')
    const result = await engine.verify(
      { options: { behavior: 'normal', password: SECRET } },
      {
        snapshot: { id: 's', artifacts: [] },
        level: 'structure',
      }
    )
    await engine.backup(
      { options: { behavior: 'normal', putBytes: 10, password: SECRET } },
      { snapshotId: 'secret', source: { kind: 'path', path: '/' }, tags: {} }
    )
    await engine.close()

    expect(cmdline).not.toContain(SECRET)
    expect(environ).not.toContain(SECRET)
    const names = environ
      .split('\0')
      .filter(Boolean)
      .map((entry) => entry.split('=')[0])
    expect(names.every((name) => ['PATH', 'HOME', 'LANG', 'TMPDIR'].includes(name))).toBe(true)

    const seen = JSON.parse(result.problems[0]) as { argv: string[]; env: Record<string, string> }
    expect(JSON.stringify(seen.argv)).not.toContain(SECRET)
    expect(JSON.stringify(seen.env)).not.toContain(SECRET)

    const started = logs.find((entry) => entry.message.startsWith('backup started'))
    expect(started?.message).toBe('backup started with password [redacted]')
    expect(logs.some((entry) => entry.message.includes(SECRET))).toBe(false)
    expect(
      logs.some(
        (entry) =>
          entry.source === 'stderr' && entry.message === 'a line the engine printed to stdout'
      )
    ).toBe(true)
  })
})

describe('processEngine', () => {
  it('runs each call in a child process', async () => {
    const manifest = JSON.parse(await readFile(join(bundleDir, 'engine.json'), 'utf8'))
    const engine = processEngine(manifest, { bundleDir, runnerPath })
    const logs: string[] = []
    const progress: number[] = []
    const context = {
      storage,
      options: { behavior: 'normal', putBytes: 1000 },
      workDir: folder.path,
      signal: new AbortController().signal,
      log: (_level: string, message: string) => void logs.push(message),
      progress: (event: { bytesDone: number }) => void progress.push(event.bytesDone),
    }

    const result = await engine.backup(context, {
      snapshotId: 'wrapped',
      source: { kind: 'path', path: '/' },
      tags: {},
    })
    expect(result.snapshot.artifacts[0].size).toBe(1000)
    expect(progress).toEqual([1000])
    expect(logs).toContain('backup started with password undefined')
    expect(await engine.validateOptions!({ behavior: 'normal', putBytes: 13 })).toEqual({
      putBytes: 'must not be 13',
    })
  })
})
