import { describe, expect, it } from 'vitest'
import {
  CofferError,
  deserializeError,
  isCofferError,
  ProtocolError,
  serializeError,
  StorageError,
} from '../src/errors.js'

describe('CofferError serialization', () => {
  it('keeps code, details and cause', () => {
    const error = new StorageError('NOT_FOUND', 'object "a/b" not found', {
      details: { key: 'a/b' },
      cause: new Error('ENOENT: no such file'),
    })
    const copy = deserializeError(JSON.parse(JSON.stringify(serializeError(error))))

    expect(copy).toBeInstanceOf(StorageError)
    expect(copy.code).toBe('NOT_FOUND')
    expect(copy.message).toBe('object "a/b" not found')
    expect(copy.details).toEqual({ key: 'a/b' })
    expect((copy.cause as Error).message).toBe('ENOENT: no such file')
  })

  it('keeps the protocol subclass', () => {
    const copy = deserializeError(
      serializeError(new ProtocolError('API_TOO_NEW', 'upgrade the agent'))
    )
    expect(copy).toBeInstanceOf(ProtocolError)
    expect(copy.code).toBe('API_TOO_NEW')
  })

  it('turns a plain error into INTERNAL', () => {
    const json = serializeError(new TypeError('x is not a function'))
    expect(json.code).toBe('INTERNAL')
    expect(json.message).toBe('x is not a function')
    expect(json.name).toBe('TypeError')
  })

  it('keeps an unknown code in details', () => {
    const copy = deserializeError({ name: 'CofferError', code: 'FUTURE_CODE', message: 'm' })
    expect(copy.code).toBe('INTERNAL')
    expect(copy.details).toEqual({ receivedCode: 'FUTURE_CODE' })
  })

  it('rejects a non-object', () => {
    expect(deserializeError('boom').code).toBe('PROTOCOL')
  })

  it('recognizes another copy of the class', () => {
    // An engine bundle carries its own SDK copy, so its errors are not instances of this class.
    class ForeignCofferError extends Error {
      code = 'WRONG_PASSWORD'
      details = { repository: 'r' }
    }

    const foreign = new ForeignCofferError('wrong repository password')
    expect(isCofferError(foreign, 'WRONG_PASSWORD')).toBe(true)
    expect(serializeError(foreign)).toMatchObject({
      code: 'WRONG_PASSWORD',
      details: { repository: 'r' },
    })
  })

  it('checks the code', () => {
    const error = new CofferError('CORRUPT', 'archive truncated')
    expect(isCofferError(error, 'CORRUPT')).toBe(true)
    expect(isCofferError(error, 'WRONG_KEY')).toBe(false)
    expect(isCofferError(new Error('plain'))).toBe(false)
  })
})
