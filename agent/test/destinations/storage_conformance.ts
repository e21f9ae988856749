import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import type { Storage } from '@coffer/sdk'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { digestStream, randomStream, readAll } from './stream_helpers.js'
import { listKeys, storedSize } from './storage_helpers.js'

/** Keys with characters that URL encoding, shells and SFTP paths often mishandle. */
export const SPECIAL_KEYS = [
  'with space/file name.bin',
  'plus+sign/a+b.bin',
  'percent%20/100%.bin',
  'colon:part/time 12:30:45.bin',
  'ünïcödé/日本語 ñandú.bin',
]

/** Size of the large streamed upload, in bytes. */
const LARGE_SIZE = 200 * 1024 * 1024

/**
 * Runs the storage contract against one driver. `open` returns a storage whose root is empty
 * and private to this run.
 */
export function describeStorageConformance(name: string, open: () => Promise<Storage>) {
  describe(`${name} storage conformance`, () => {
    let storage: Storage

    beforeAll(async () => {
      storage = await open()
    })

    afterAll(async () => {
      await storage?.close()
    })

    test('put then get', async () => {
      const data = randomBytes(100_000)
      const result = await storage.put('round/trip.bin', Readable.from([data]))
      expect(result.size).toBe(data.length)

      const read = await readAll(await storage.get('round/trip.bin'))
      expect(read.equals(data)).toBe(true)
    })

    test('get with range', async () => {
      const data = randomBytes(10_000)
      await storage.put('range/object.bin', Readable.from([data]))

      const middle = await readAll(
        await storage.get('range/object.bin', { range: { offset: 1000, length: 500 } })
      )
      expect(middle.equals(data.subarray(1000, 1500))).toBe(true)

      const tail = await readAll(await storage.get('range/object.bin', { range: { offset: 9000 } }))
      expect(tail.equals(data.subarray(9000))).toBe(true)

      const empty = await readAll(
        await storage.get('range/object.bin', { range: { offset: 10, length: 0 } })
      )
      expect(empty.length).toBe(0)
    })

    test('stat and list', async () => {
      await storage.put('listing/a/one.bin', Readable.from([Buffer.alloc(11)]))
      await storage.put('listing/a/two.bin', Readable.from([Buffer.alloc(22)]))
      await storage.put('listing/b/three.bin', Readable.from([Buffer.alloc(33)]))
      await storage.put('listing-other.bin', Readable.from([Buffer.alloc(1)]))

      const stat = await storage.stat('listing/a/two.bin')
      expect(stat?.key).toBe('listing/a/two.bin')
      expect(stat?.size).toBe(22)
      expect(stat?.modifiedAt).toBeInstanceOf(Date)

      const objects = await storage.list('listing/')
      const all = objects.map((object) => `${object.key}:${object.size}`).sort()
      expect(all).toEqual([
        'listing/a/one.bin:11',
        'listing/a/two.bin:22',
        'listing/b/three.bin:33',
      ])

      const partial = await listKeys(storage, 'listing/a/t')
      expect(partial).toEqual(['listing/a/two.bin'])

      const byName = await listKeys(storage, 'listing')
      expect(byName).toContain('listing-other.bin')
      expect(byName).toHaveLength(4)
    })

    test('missing object', async () => {
      expect(await storage.stat('missing/object.bin')).toBeNull()
      await expect(storage.get('missing/object.bin')).rejects.toMatchObject({ code: 'NOT_FOUND' })
      await expect(storage.delete('missing/object.bin')).resolves.toBeUndefined()
      expect(await storage.list('missing/')).toEqual([])
    })

    test('delete', async () => {
      await storage.put('deleting/object.bin', Readable.from([Buffer.from('gone soon')]))
      await storage.delete('deleting/object.bin')

      expect(await storage.stat('deleting/object.bin')).toBeNull()
      expect(await storage.list('deleting/')).toEqual([])
    })

    test('overwrite', async () => {
      await storage.put('overwrite.bin', Readable.from([Buffer.from('first version, longer')]))
      await storage.put('overwrite.bin', Readable.from([Buffer.from('second')]))

      const read = await readAll(await storage.get('overwrite.bin'))
      expect(read.toString()).toBe('second')
    })

    test('empty stream', async () => {
      const result = await storage.put('empty/object.bin', Readable.from([]))
      expect(result.size).toBe(0)

      const stat = await storage.stat('empty/object.bin')
      expect(stat?.size).toBe(0)

      const read = await readAll(await storage.get('empty/object.bin'))
      expect(read.length).toBe(0)
    })

    test('special keys', async () => {
      for (const key of SPECIAL_KEYS) {
        const data = Buffer.from(`content of ${key}`)
        await storage.put(`special/${key}`, Readable.from([data]))
      }

      const listed = await listKeys(storage, 'special/')
      expect(listed).toEqual(SPECIAL_KEYS.map((key) => `special/${key}`).sort())

      for (const key of SPECIAL_KEYS) {
        const read = await readAll(await storage.get(`special/${key}`))
        expect(read.toString(), key).toBe(`content of ${key}`)
        await storage.delete(`special/${key}`)
        expect(await storage.stat(`special/${key}`), key).toBeNull()
      }
    })

    test('invalid keys', async () => {
      for (const key of ['../escape.bin', '/absolute.bin', 'a//b.bin', 'a/./b.bin', '']) {
        await expect(
          storage.put(key, Readable.from([Buffer.from('x')])),
          key
        ).rejects.toMatchObject({
          code: expect.stringMatching(/INVALID_ARGUMENT/),
        })
      }
    })

    test('cancelled put', async () => {
      const controller = new AbortController()
      const { stream } = randomStream(64 * 1024 * 1024)
      const body = Readable.from(
        (async function* () {
          let sent = 0
          for await (const chunk of stream) {
            yield chunk
            sent += chunk.length
            if (sent > 4 * 1024 * 1024) {
              controller.abort()
            }
          }
        })()
      )

      await expect(
        storage.put('cancelled.bin', body, { signal: controller.signal })
      ).rejects.toMatchObject({
        code: 'CANCELLED',
      })
      expect(await storage.stat('cancelled.bin')).toBeNull()
      expect(await storage.list('cancelled')).toEqual([])
    })

    test('large streamed upload', { timeout: 300_000 }, async () => {
      const { stream, result } = randomStream(LARGE_SIZE)
      const put = await storage.put('large/object.bin', stream)
      expect(put.size).toBe(LARGE_SIZE)
      expect(await storedSize(storage, 'large/object.bin')).toBe(LARGE_SIZE)

      const read = await digestStream(await storage.get('large/object.bin'))
      expect(read.size).toBe(LARGE_SIZE)
      expect(read.digest).toBe(result.digest)

      await storage.delete('large/object.bin')
    })
  })
}
