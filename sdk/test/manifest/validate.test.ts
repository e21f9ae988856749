import { describe, expect, it } from 'vitest'
import { isCofferError, type CofferError } from '../../src/errors.js'
import { parseManifest, validateManifest } from '../../src/manifest/validate.js'
import { validManifest } from '../fixtures/manifest.js'

function problemOf(value: unknown): CofferError {
  try {
    validateManifest(value)
  } catch (error) {
    expect(isCofferError(error, 'INVALID_MANIFEST')).toBe(true)
    return error as CofferError
  }

  throw new Error('expected validateManifest to raise INVALID_MANIFEST')
}

function fieldsOf(error: CofferError): string[] {
  return (error.details?.problems as Array<{ field: string }>).map((problem) => problem.field)
}

describe('validateManifest', () => {
  it('accepts a valid manifest', () => {
    const manifest = validManifest()
    expect(validateManifest(manifest)).toBe(manifest)
  })

  it('names a missing field', () => {
    const rest: Partial<ReturnType<typeof validManifest>> = validManifest()
    delete rest.capabilities
    const error = problemOf(rest)
    expect(fieldsOf(error)).toEqual(['capabilities'])
    expect(error.message).toContain('capabilities: is required')
  })

  it('names a nested wrong type', () => {
    const manifest = validManifest()
    const error = problemOf({
      ...manifest,
      capabilities: { ...manifest.capabilities, dedup: 'yes' },
    })
    expect(fieldsOf(error)).toEqual(['capabilities.dedup'])
  })

  it('rejects an id without namespace', () => {
    expect(fieldsOf(problemOf(validManifest({ id: 'sample' })))).toEqual(['id'])
  })

  it('rejects an uppercase id', () => {
    expect(fieldsOf(problemOf(validManifest({ id: 'Acme/sample' })))).toEqual(['id'])
  })

  it('rejects a version that is not semver', () => {
    expect(fieldsOf(problemOf(validManifest({ version: '1.0' })))).toEqual(['version'])
  })

  it('rejects a bad minAgentVersion', () => {
    expect(fieldsOf(problemOf(validManifest({ minAgentVersion: 'latest' })))).toEqual([
      'minAgentVersion',
    ])
  })

  it('rejects an unknown field', () => {
    const error = problemOf({ ...validManifest(), extra: true })
    expect(fieldsOf(error)).toEqual(['extra'])
    expect(error.message).toContain('extra: is not a known field')
  })

  it('rejects a secret option without writeOnly', () => {
    const manifest = validManifest()
    const optionsSchema = {
      type: 'object',
      properties: { compression: { type: 'string' }, encryptionKey: { type: 'string' } },
    }
    const error = problemOf({ ...manifest, optionsSchema })
    expect(fieldsOf(error)).toEqual(['optionsSchema.properties.encryptionKey.writeOnly'])
  })

  it('rejects a writeOnly field missing from secretOptions', () => {
    const error = problemOf(validManifest({ secretOptions: [], hostSecrets: [] }))
    expect(fieldsOf(error)).toEqual(['secretOptions'])
    expect(error.message).toContain('encryptionKey')
  })

  it('rejects a host secret missing from secretOptions', () => {
    const manifest = validManifest({
      hostSecrets: [{ name: 'repositoryPassword', encoding: 'hex', bytes: 32 }],
    })
    expect(fieldsOf(problemOf(manifest))).toContain('hostSecrets.0.name')
  })

  it('rejects an invalid options schema', () => {
    const error = problemOf(
      validManifest({
        optionsSchema: { type: 'object', properties: { a: { type: 'no-such-type' } } },
      })
    )
    expect(fieldsOf(error)).toEqual(['optionsSchema'])
  })

  it('rejects an entry missing from files', () => {
    expect(fieldsOf(problemOf(validManifest({ entry: 'main.js' })))).toEqual(['entry'])
  })

  it('rejects an unsafe file name', () => {
    const error = problemOf(
      validManifest({ files: { 'engine.js': '0'.repeat(64), '../evil.js': '1'.repeat(64) } })
    )
    expect(fieldsOf(error)).toContain('files')
  })

  it('rejects a digest that is not sha256 hex', () => {
    const error = problemOf(validManifest({ files: { 'engine.js': 'abc' } }))
    expect(fieldsOf(error)).toEqual(['files.engine.js'])
  })

  it('reports invalid JSON text', () => {
    expect(() => parseManifest('{ "id": ')).toThrowError(/not valid JSON/)
  })
})
