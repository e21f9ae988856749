import { describe, expect, it } from 'vitest'
import { isCofferError } from '../../src/errors.js'
import {
  assertEngineOptions,
  checkEngineOptions,
  redactSecretOptions,
} from '../../src/manifest/options.js'
import { validManifest } from '../fixtures/manifest.js'

describe('engine options', () => {
  const manifest = validManifest()

  it('accepts valid options', () => {
    expect(checkEngineOptions(manifest, { compression: 'zstd', level: 3 })).toEqual({})
  })

  it('reports each invalid field', () => {
    const messages = checkEngineOptions(manifest, { compression: 'lz4', level: 40 })
    expect(Object.keys(messages).sort()).toEqual(['compression', 'level'])
    expect(messages.compression).toContain('"zstd"')
    expect(messages.level).toContain('19')
  })

  it('reports a missing required field', () => {
    expect(checkEngineOptions(manifest, {})).toEqual({ compression: 'is required' })
  })

  it('raises INVALID_OPTIONS without values', () => {
    const secret = 'not-a-valid-value-but-secret'
    let raised: unknown
    try {
      assertEngineOptions(manifest, { compression: secret, encryptionKey: 5 })
    } catch (error) {
      raised = error
    }

    expect(isCofferError(raised, 'INVALID_OPTIONS')).toBe(true)
    expect((raised as Error).message).not.toContain(secret)
    expect((raised as Error).message).toContain('encryptionKey')
  })

  it('redacts secret fields', () => {
    const options = { compression: 'zstd', encryptionKey: 'c2VjcmV0' }
    expect(redactSecretOptions(manifest, options)).toEqual({
      compression: 'zstd',
      encryptionKey: '[redacted]',
    })
    expect(options.encryptionKey).toBe('c2VjcmV0')
  })
})
