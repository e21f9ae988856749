import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isCofferError } from '../../src/errors.js'
import { startEngineProcess } from '../../src/protocol/host.js'
import { createEngineFixture, type EngineFixture } from './engine_fixture.js'

const STDOUT_ENGINE_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'stdout_engine'
)

let fixture: EngineFixture

beforeAll(async () => {
  fixture = await createEngineFixture(STDOUT_ENGINE_DIR, 'host-stdout')
})

afterAll(async () => {
  await fixture?.remove()
})

describe('engine that writes to stdout', () => {
  it('fails the call naming stray stdout bytes', async () => {
    const { bundleDir, storage, runnerPath, folder } = fixture
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
