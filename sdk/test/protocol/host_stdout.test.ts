import { mkdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEngineBundle } from '../../src/build/build_engine.js'
import { unpackBundle } from '../../src/bundle/unpack.js'
import { isCofferError } from '../../src/errors.js'
import { startEngineProcess } from '../../src/protocol/host.js'
import { LocalStorage } from '../../src/storage_local.js'
import { buildRunner, temporaryFolder } from '../helpers.js'

const STDOUT_ENGINE_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'stdout_engine'
)

let folder: Awaited<ReturnType<typeof temporaryFolder>>
let runnerPath: string
let bundleDir: string
let storage: LocalStorage

beforeAll(async () => {
  folder = await temporaryFolder('host-stdout')
  runnerPath = await buildRunner()
  const built = await buildEngineBundle({
    packageDir: STDOUT_ENGINE_DIR,
    outDir: join(folder.path, 'out'),
  })
  bundleDir = join(folder.path, 'engine')
  await unpackBundle(built.bytes, bundleDir)
  await mkdir(join(folder.path, 'storage'))
  storage = new LocalStorage(join(folder.path, 'storage'))
})

afterAll(async () => {
  await folder?.remove()
  await rm(dirname(runnerPath), { recursive: true, force: true })
})

describe('engine that writes to stdout', () => {
  it('fails the call naming stray stdout bytes', async () => {
    const engine = await startEngineProcess({ bundleDir, storage, runnerPath })
    const error = await engine
      .backup(
        { options: {} },
        { snapshotId: 's', source: { kind: 'path', path: folder.path }, tags: {} }
      )
      .then(
        () => undefined,
        (reason: unknown) => reason
      )
    await engine.close()

    expect(isCofferError(error), String(error)).toBe(true)
    const message = (error as Error).message
    expect((error as { code: string }).code).toBe('PROTOCOL')
    expect(message).toContain('wrote non-protocol bytes beginning with "hi\\n" to stdout')
    expect(message).toContain('child processes must not inherit stdout')
  })
})
