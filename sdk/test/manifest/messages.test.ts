import { describe, expect, it } from 'vitest'
import { isCofferError } from '../../src/errors.js'
import { checkEngineOptions } from '../../src/manifest/options.js'
import { validateManifest, validateManifestSource } from '../../src/manifest/validate.js'
import { validManifest } from '../fixtures/manifest.js'

function messageOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect(isCofferError(error, 'INVALID_MANIFEST')).toBe(true)
    return (error as Error).message
  }

  throw new Error('expected INVALID_MANIFEST')
}

function sourceOf(overrides: Record<string, unknown>): Record<string, unknown> {
  const source: Record<string, unknown> = { ...validManifest() }
  delete source.files
  delete source.entry
  return { ...source, ...overrides }
}

describe('manifest messages', () => {
  it('rejects empty verifyLevels', () => {
    const manifest = validManifest()
    const message = messageOf(() =>
      validateManifest({
        ...manifest,
        capabilities: { ...manifest.capabilities, verifyLevels: [] },
      })
    )
    expect(message).toContain('capabilities.verifyLevels: must have at least 1 item, got []')
  })

  it('shows a rejected id', () => {
    const message = messageOf(() => validateManifest(validManifest({ id: 'Acme/Sample' })))
    expect(message).toContain('id: must be <publisher>/<name> in lowercase letters')
    expect(message).toContain('got "Acme/Sample"')
    expect(message).not.toContain('should')
  })

  it('shows a wrong type', () => {
    const manifest = validManifest()
    const message = messageOf(() =>
      validateManifest({ ...manifest, capabilities: { ...manifest.capabilities, dedup: 'yes' } })
    )
    expect(message).toContain('capabilities.dedup: must be a boolean, got "yes"')
  })

  it('shows a value outside the allowed set', () => {
    const manifest = validManifest()
    const permissions = { ...manifest.permissions, network: 'all' }
    const message = messageOf(() => validateManifest({ ...manifest, permissions }))
    expect(message).toContain(
      'permissions.network: must be one of "none", "destination", got "all"'
    )
  })

  it('shows a bad version', () => {
    const message = messageOf(() => validateManifest(validManifest({ version: '1.0' })))
    expect(message).toContain('version: must be a semantic version such as 1.0.0, got "1.0"')
  })

  it('shows a bad minAgentVersion', () => {
    const message = messageOf(() => validateManifest(validManifest({ minAgentVersion: 'latest' })))
    expect(message).toContain(
      'minAgentVersion: must be a semantic version such as 0.1.0, got "latest"'
    )
  })

  it('names an unsafe file name', () => {
    const files = { 'engine.js': '0'.repeat(64), '../evil.js': '1'.repeat(64) }
    const message = messageOf(() => validateManifest(validManifest({ files })))
    expect(message).toContain('files: contains the invalid name "../evil.js"')
  })

  it('explains files in a source manifest', () => {
    const message = messageOf(() =>
      validateManifestSource(sourceOf({ files: {} }), 'engine.manifest.json')
    )
    expect(message).toContain('files: is computed by coffer-engine build')
    expect(message).toContain('remove it from the source manifest')
  })

  it('explains entry in a source manifest', () => {
    const source = sourceOf({ entry: './src/index.ts' })
    const message = messageOf(() => validateManifestSource(source, 'engine.manifest.json'))
    expect(message).toContain('entry: is set by coffer-engine build')
  })

  it('explains an invalid options schema', () => {
    const optionsSchema = { type: 'object', properties: { level: { minimum: 'one' } } }
    const message = messageOf(() => validateManifest(validManifest({ optionsSchema })))
    expect(message).toContain(
      'optionsSchema: is not a valid JSON Schema: properties.level.minimum must be a number, got "one"'
    )
  })
})

describe('option messages', () => {
  it('read plainly without values', () => {
    const messages = checkEngineOptions(validManifest(), { compression: 'zstd', level: 40 })
    expect(messages).toEqual({ level: 'must be at most 19' })
  })
})
