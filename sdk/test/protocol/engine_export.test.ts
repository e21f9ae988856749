import { mkdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { packBundle } from '../../src/bundle/pack.js'
import { unpackBundle } from '../../src/bundle/unpack.js'
import { isCofferError, type CofferError } from '../../src/errors.js'
import {
  assertEngineExport,
  engineExportFacts,
  type EngineExportFacts,
} from '../../src/protocol/engine_export.js'
import { startEngineProcess } from '../../src/protocol/host.js'
import { LocalStorage } from '../../src/storage_local.js'
import { validManifest } from '../fixtures/manifest.js'
import { buildRunner, temporaryFolder } from '../helpers.js'

const LABELS = { moduleName: 'engine.js', manifestName: 'engine.json' }

const OPERATIONS = {
  backup: async () => undefined,
  listSnapshots: async () => [],
  listFiles: async () => [],
  restore: async () => undefined,
  forget: async () => undefined,
  verify: async () => ({ ok: true, problems: [] }),
}

function exportError(facts: EngineExportFacts): CofferError {
  try {
    assertEngineExport(facts, 'acme/sample', LABELS)
  } catch (error) {
    expect(isCofferError(error)).toBe(true)
    return error as CofferError
  }

  throw new Error('expected assertEngineExport to raise')
}

describe('assertEngineExport', () => {
  it('accepts a complete engine', () => {
    const facts = engineExportFacts({ default: { id: 'acme/sample', ...OPERATIONS } })
    expect(() => assertEngineExport(facts, 'acme/sample', LABELS)).not.toThrow()
  })

  it('rejects a missing default export', () => {
    const error = exportError(engineExportFacts({}))
    expect(error.code).toBe('INVALID_MANIFEST')
    expect(error.message).toContain('its default export is undefined')
  })

  it('rejects a null default export', () => {
    expect(exportError(engineExportFacts({ default: null })).message).toContain('is null')
  })

  it('rejects another id', () => {
    const error = exportError(engineExportFacts({ default: { id: 'acme/other', ...OPERATIONS } }))
    expect(error.code).toBe('MANIFEST_MISMATCH')
    expect(error.message).toContain('acme/other')
  })

  it('names every missing operation', () => {
    const engine: Record<string, unknown> = { id: 'acme/sample', ...OPERATIONS }
    delete engine.restore
    delete engine.forget
    const error = exportError(engineExportFacts({ default: engine }))
    expect(error.code).toBe('INVALID_MANIFEST')
    expect(error.message).toContain('lacks the operations restore, forget')
    expect(error.details?.missingOperations).toEqual(['restore', 'forget'])
  })

  it('rejects a non-function validateOptions', () => {
    const engine = { id: 'acme/sample', ...OPERATIONS, validateOptions: {} }
    const error = exportError(engineExportFacts({ default: engine }))
    expect(error.message).toContain('validateOptions that is object')
  })
})

describe('engine handshake with a missing operation', () => {
  let folder: Awaited<ReturnType<typeof temporaryFolder>>
  let runnerPath: string

  beforeAll(async () => {
    folder = await temporaryFolder('engine-export')
    runnerPath = await buildRunner()
  })

  afterAll(async () => {
    await folder?.remove()
    await rm(dirname(runnerPath), { recursive: true, force: true })
  })

  it('rejects an engine without restore', async () => {
    const source = [
      'export default {',
      "  id: 'acme/sample',",
      '  async backup() {}, async listSnapshots() { return [] }, async listFiles() { return [] },',
      '  async forget() {}, async verify() { return { ok: true, problems: [] } },',
      '}',
    ].join('\n')
    const manifest: Partial<ReturnType<typeof validManifest>> = validManifest()
    delete manifest.files
    const packed = packBundle(
      manifest as Parameters<typeof packBundle>[0],
      new Map([['engine.js', Buffer.from(source)]])
    )
    const bundleDir = join(folder.path, 'bundle')
    await unpackBundle(packed.bytes, bundleDir)
    await mkdir(join(folder.path, 'storage'))
    const storage = new LocalStorage(join(folder.path, 'storage'))

    const error = await startEngineProcess({ bundleDir, storage, runnerPath }).then(
      () => undefined,
      (reason: unknown) => reason
    )
    expect(isCofferError(error, 'INVALID_MANIFEST')).toBe(true)
    expect((error as Error).message).toContain('lacks a restore operation')
  })
})
