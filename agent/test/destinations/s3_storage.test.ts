import { Readable } from 'node:stream'
import { describe, expect, test } from 'vitest'
import { MAX_PARTS, openStorage, partSize } from '../../src/destinations/index.js'
import { PRIVATE_BUCKET, startPrivateS3 } from './s3_control.js'
import { s3Destination } from './s3_fixtures.js'
import { listKeys, readText } from './storage_helpers.js'
import { describeStorageConformance } from './storage_conformance.js'
import { randomStream } from './stream_helpers.js'

describeStorageConformance('s3', async () => {
  const { config, secrets } = s3Destination()
  return openStorage(config, secrets)
})

describe('s3 storage', () => {
  test('part sizes cover 5 TiB', () => {
    let total = 0
    for (let part = 1; part <= MAX_PARTS; part++) {
      total += partSize(part)
    }

    expect(total).toBeGreaterThanOrEqual(5 * 1024 ** 4)
    expect(partSize(MAX_PARTS)).toBeLessThanOrEqual(5 * 1024 ** 3)
    expect(partSize(1)).toBeGreaterThanOrEqual(5 * 1024 ** 2)
  })

  test('list pages past 1000 keys', { timeout: 120_000 }, async () => {
    const { config, secrets } = s3Destination()
    const storage = openStorage(config, secrets)
    try {
      const keys = Array.from(
        { length: 1005 },
        (_, index) => `many/${String(index).padStart(4, '0')}.bin`
      )
      for (let start = 0; start < keys.length; start += 50) {
        await Promise.all(
          keys
            .slice(start, start + 50)
            .map((key) => storage.put(key, Readable.from([Buffer.from(key)])))
        )
      }

      const listed = await listKeys(storage, 'many/')
      expect(listed).toHaveLength(keys.length)
      expect(listed).toEqual(keys)

      for (let start = 0; start < keys.length; start += 50) {
        await Promise.all(keys.slice(start, start + 50).map((key) => storage.delete(key)))
      }
    } finally {
      await storage.close()
    }
  })

  test('prefix isolates objects', async () => {
    const { config, secrets } = s3Destination()
    const storage = openStorage(config, secrets)
    const other = openStorage({ ...config, prefix: `${config.prefix}other` }, secrets)
    try {
      await storage.put('a.bin', Readable.from([Buffer.from('a')]))
      await other.put('b.bin', Readable.from([Buffer.from('b')]))

      expect(await listKeys(other, '')).toEqual(['b.bin'])
      expect(await readText(other, 'b.bin')).toBe('b')
      expect(await other.stat('a.bin')).toBeNull()
    } finally {
      await storage.close()
      await other.close()
    }
  })

  // s3rver 3.7 does not implement AbortMultipartUpload, so only the final key can be checked here.
  test('failed stream leaves no object', { timeout: 120_000 }, async () => {
    const { config, secrets } = s3Destination()
    const storage = openStorage(config, secrets)
    try {
      const { stream } = randomStream(64 * 1024 * 1024)
      let sent = 0
      const body = Readable.from(
        (async function* () {
          for await (const chunk of stream) {
            yield chunk
            sent += chunk.length
            if (sent >= 20 * 1024 * 1024) {
              throw new Error('source volume read failed')
            }
          }
        })()
      )

      await expect(storage.put('failed/object.bin', body)).rejects.toThrow(
        /source volume read failed/
      )
      expect(await storage.stat('failed/object.bin')).toBeNull()
      expect(await storage.list('failed/')).toEqual([])
    } finally {
      await storage.close()
    }
  })

  test('server stopped mid-upload', { timeout: 120_000 }, async () => {
    const server = await startPrivateS3()
    const { config, secrets } = s3Destination({
      endpoint: server.endpoint,
      bucket: PRIVATE_BUCKET,
      timeoutMs: 5_000,
    })
    secrets.accessKeyId = 'S3RVER'
    secrets.secretAccessKey = 'S3RVER'
    const storage = openStorage(config, secrets)
    try {
      const { stream } = randomStream(64 * 1024 * 1024)
      let sent = 0
      let stopped = false
      const body = Readable.from(
        (async function* () {
          for await (const chunk of stream) {
            yield chunk
            sent += chunk.length
            if (!stopped && sent >= 20 * 1024 * 1024) {
              stopped = true
              await server.stop()
            }
          }
        })()
      )

      await expect(storage.put('dropped/object.bin', body)).rejects.toMatchObject({
        code: 'STORAGE',
      })
      await server.start()

      expect(await storage.stat('dropped/object.bin')).toBeNull()
      expect(await storage.list('dropped/')).toEqual([])

      const again = await storage.put(
        'dropped/object.bin',
        Readable.from([Buffer.from('second try')])
      )
      expect(again.size).toBe(10)
      expect(await readText(storage, 'dropped/object.bin')).toBe('second try')
    } finally {
      await storage.close()
      await server.dispose()
    }
  })
})
