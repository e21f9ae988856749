import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StorageError } from '../src/errors.js'
import { LocalStorage } from '../src/storage_local.js'

let root: string
let storage: LocalStorage

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'coffer-storage-local-'))
  storage = new LocalStorage(path.join(root, 'store'))
})

afterEach(async () => {
  await storage.close()
  await fs.rm(root, { recursive: true, force: true })
})

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError)
    return (error as StorageError).code
  }

  return undefined
}

describe('LocalStorage', () => {
  it('put then get', async () => {
    const result = await storage.put('a/b/c.bin', Readable.from([Buffer.from('hello '), 'world']))

    expect(result.size).toBe(11)
    expect(await text(await storage.get('a/b/c.bin'))).toBe('hello world')
    const mode = (await fs.stat(path.join(root, 'store/a/b/c.bin'))).mode & 0o777
    expect(mode).toBe(0o600)
  })

  it('get with range', async () => {
    await storage.put('r', Readable.from(['0123456789']))

    expect(await text(await storage.get('r', { range: { offset: 3, length: 4 } }))).toBe('3456')
    expect(await text(await storage.get('r', { range: { offset: 7 } }))).toBe('789')
    expect(await text(await storage.get('r', { range: { offset: 2, length: 0 } }))).toBe('')
    expect(await codeOf(storage.get('r', { range: { offset: -1 } }))).toBe('INVALID_ARGUMENT')
  })

  it('get of a missing key', async () => {
    expect(await codeOf(storage.get('missing'))).toBe('NOT_FOUND')
    await storage.put('dir/file', Readable.from(['x']))
    expect(await codeOf(storage.get('dir'))).toBe('NOT_FOUND')
    expect(await codeOf(storage.get('dir/file/below'))).toBe('NOT_FOUND')
  })

  it('rejects unsafe keys', async () => {
    const keys = ['', '/abs', 'a/../b', '..', 'a/./b', 'a//b', 'nul\0byte', 'x/.coffer-partial-1']
    for (const key of keys) {
      expect(await codeOf(storage.put(key, Readable.from(['x']))), key).toBe('INVALID_ARGUMENT')
      expect(await codeOf(storage.get(key)), key).toBe('INVALID_ARGUMENT')
      expect(await codeOf(storage.delete(key)), key).toBe('INVALID_ARGUMENT')
    }

    expect(await codeOf(storage.list('../'))).toBe('INVALID_ARGUMENT')
    expect(await fs.readdir(root)).toEqual([])
  })

  it('failed put leaves nothing', async () => {
    await storage.put('keep', Readable.from(['old content']))
    const failing = new Readable({
      read() {
        this.push('partial')
        this.destroy(new Error('source broke'))
      },
    })

    expect(await codeOf(storage.put('keep', failing))).toBe('STORAGE')
    expect(await text(await storage.get('keep'))).toBe('old content')
    expect(await fs.readdir(path.join(root, 'store'))).toEqual(['keep'])
  })

  it('aborted put leaves nothing', async () => {
    const controller = new AbortController()
    const slow = new Readable({ read() {} })
    slow.push('start')
    const pending = storage.put('aborted', slow, { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)

    expect(await codeOf(pending)).toBe('CANCELLED')
    expect(await storage.stat('aborted')).toBeNull()
    expect(await storage.list('')).toEqual([])
  })

  it('list by prefix', async () => {
    for (const key of ['snap/1/a', 'snap/1/b', 'snap/10/a', 'snapshot', 'other/x']) {
      await storage.put(key, Readable.from([key]))
    }

    const keysOf = async (prefix: string) =>
      (await storage.list(prefix)).map((object) => object.key).sort()
    expect(await keysOf('')).toEqual(['other/x', 'snap/1/a', 'snap/1/b', 'snap/10/a', 'snapshot'])
    expect(await keysOf('snap/1/')).toEqual(['snap/1/a', 'snap/1/b'])
    expect(await keysOf('snap/1')).toEqual(['snap/1/a', 'snap/1/b', 'snap/10/a'])
    expect(await keysOf('snap')).toEqual(['snap/1/a', 'snap/1/b', 'snap/10/a', 'snapshot'])
    expect(await keysOf('missing/')).toEqual([])
    const [object] = await storage.list('other/')
    expect(object.size).toBe(7)
    expect(object.modifiedAt).toBeInstanceOf(Date)
  })

  it('list skips partial files', async () => {
    await storage.put('dir/done', Readable.from(['x']))
    await fs.writeFile(path.join(root, 'store/dir/.coffer-partial-abc'), 'half')

    expect((await storage.list('dir/')).map((object) => object.key)).toEqual(['dir/done'])
  })

  it('stat', async () => {
    await storage.put('s/file', Readable.from(['12345']))

    expect((await storage.stat('s/file'))?.size).toBe(5)
    expect(await storage.stat('s')).toBeNull()
    expect(await storage.stat('nothing')).toBeNull()
  })

  it('delete removes empty parents', async () => {
    await storage.put('x/y/z/one', Readable.from(['1']))
    await storage.put('x/two', Readable.from(['2']))

    await storage.delete('x/y/z/one')
    await storage.delete('x/y/z/one')
    await storage.delete('never/existed')

    expect(await fs.readdir(path.join(root, 'store'))).toEqual(['x'])
    expect(await fs.readdir(path.join(root, 'store/x'))).toEqual(['two'])
    expect(await codeOf(storage.delete('x'))).toBe('INVALID_ARGUMENT')
  })

  it('put replaces atomically', async () => {
    await storage.put('k', Readable.from(['first']))
    await storage.put('k', Readable.from(['second']))

    expect(await text(await storage.get('k'))).toBe('second')
  })

  it('resticLocation', async () => {
    const location = await storage.resticLocation('repos/restic')

    expect(location.repository).toBe(path.join(root, 'store/repos/restic'))
    expect(location.environment).toEqual({})
    expect(await codeOf(storage.resticLocation('../x'))).toBe('INVALID_ARGUMENT')
  })

  it('closed storage rejects', async () => {
    await storage.close()

    expect(await codeOf(storage.list(''))).toBe('STORAGE')
  })
})
