import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEngineBundle } from '../../src/build/build_engine.js'
import { isCofferError, type CofferError } from '../../src/errors.js'
import { temporaryFolder } from '../helpers.js'
import {
  SAMPLE_OPERATIONS,
  sampleEntry,
  sampleSourceManifest,
  writeEnginePackage,
  type EnginePackageParts,
} from './engine_package.js'

let folder: Awaited<ReturnType<typeof temporaryFolder>>
let packageCount = 0

beforeAll(async () => {
  folder = await temporaryFolder('build-checks')
})

afterAll(async () => {
  await folder?.remove()
})

async function newPackage(parts: EnginePackageParts = {}): Promise<string> {
  const dir = join(folder.path, `package-${++packageCount}`)
  await writeEnginePackage(dir, parts)
  return dir
}

// Builds the package and returns the error, checking that no bundle was written.
async function buildFailure(parts: EnginePackageParts): Promise<CofferError> {
  const dir = await newPackage(parts)
  const outDir = join(dir, 'dist')
  const error = await buildEngineBundle({ packageDir: dir, outDir }).then(
    () => undefined,
    (reason: unknown) => reason
  )
  expect(isCofferError(error), `expected a CofferError, got ${String(error)}`).toBe(true)
  await expect(readdir(outDir)).rejects.toThrow('ENOENT')
  return error as CofferError
}

describe('build load check', () => {
  it('accepts a loadable engine', async () => {
    const dir = await newPackage()
    const built = await buildEngineBundle({ packageDir: dir })
    expect(built.bundlePath).toBe(join(dir, 'dist', 'acme-sample-1.0.0.bundle'))
  })

  it('rejects an id that differs from the manifest', async () => {
    const error = await buildFailure({ entry: sampleEntry('acme/simple') })
    expect(error.code).toBe('MANIFEST_MISMATCH')
    expect(error.message).toContain('exports engine acme/simple')
    expect(error.message).toContain('engine.manifest.json declares acme/sample')
    expect(error.message).toContain('make the id in defineEngine(...) equal')
  })

  it('rejects a module without default export', async () => {
    const error = await buildFailure({ entry: 'export const engine = {}\n' })
    expect(error.code).toBe('INVALID_MANIFEST')
    expect(error.message).toContain('src/index.ts has no default export made with defineEngine')
    expect(error.message).toContain("export default defineEngine({ id: 'acme/sample'")
  })

  it('rejects an engine without restore', async () => {
    const operations = SAMPLE_OPERATIONS.filter((line) => !line.includes('restore'))
    const error = await buildFailure({ entry: sampleEntry('acme/sample', operations) })
    expect(error.code).toBe('INVALID_MANIFEST')
    expect(error.message).toContain('lacks a restore operation')
    expect(error.message).toContain('add a restore operation to defineEngine(...)')
    expect(error.details?.missingOperations).toEqual(['restore'])
  })

  it('rejects an API major the SDK lacks', async () => {
    const error = await buildFailure({ manifest: { ...sampleSourceManifest(), apiVersions: [2] } })
    expect(error.code).toBe('API_TOO_NEW')
    expect(error.message).toContain('apiVersions is [2]')
    expect(error.message).toContain('set apiVersions to [1]')
  })

  it('rejects a minAgentVersion above the SDK', async () => {
    const manifest = { ...sampleSourceManifest(), minAgentVersion: '9.0.0' }
    const error = await buildFailure({ manifest })
    expect(error.code).toBe('AGENT_TOO_OLD')
    expect(error.message).toContain('minAgentVersion is 9.0.0')
    expect(error.message).toContain('set minAgentVersion to 0.1.0 or lower')
  })

  it('reports an error thrown at import', async () => {
    const entry = `${sampleEntry()}\nthrow new Error('missing configuration file')\n`
    const error = await buildFailure({ entry })
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).toContain('missing configuration file')
    expect(error.message).toContain('fails to load')
  })

  it('finishes when the engine leaves a timer', async () => {
    const dir = await newPackage({ entry: `${sampleEntry()}\nsetInterval(() => {}, 1000)\n` })
    const started = Date.now()
    await buildEngineBundle({ packageDir: dir })
    expect(Date.now() - started).toBeLessThan(20_000)
  })
})

describe('build inputs', () => {
  it('names package.json and its bad version', async () => {
    const packageJson = {
      name: 'acme-sample',
      version: '1.0',
      coffer: { manifest: './engine.manifest.json' },
    }
    const error = await buildFailure({ packageJson })
    expect(error.code).toBe('INVALID_MANIFEST')
    expect(error.message).toContain('package.json: "version" is "1.0"')
    expect(error.message).toContain('such as "1.0.0"')
  })

  it('explains a files field in the source manifest', async () => {
    const manifest = { ...sampleSourceManifest(), files: {} }
    const error = await buildFailure({ manifest })
    expect(error.code).toBe('INVALID_MANIFEST')
    expect(error.message).toContain('files: is computed by coffer-engine build')
  })

  it('reports a missing package.json as not found', async () => {
    const dir = join(folder.path, 'no-package')
    await mkdir(dir)
    const error = await buildEngineBundle({ packageDir: dir }).catch((reason: unknown) => reason)
    expect(isCofferError(error, 'NOT_FOUND')).toBe(true)
    expect((error as Error).message).toContain(`package.json not found: ${join(dir, 'package.json')}`)
  })

  it('resolves outDir against the current folder', async () => {
    const dir = await newPackage()
    const workDir = join(folder.path, 'cwd')
    await mkdir(workDir)
    const previous = process.cwd()
    process.chdir(workDir)
    try {
      const built = await buildEngineBundle({ packageDir: dir, outDir: 'out3' })
      expect(built.bundlePath).toBe(join(workDir, 'out3', 'acme-sample-1.0.0.bundle'))
    } finally {
      process.chdir(previous)
    }
  })
})
