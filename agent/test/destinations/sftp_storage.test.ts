import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { Readable } from 'node:stream'
import { describe, expect, test } from 'vitest'
import { openStorage, SftpStorage } from '../../src/destinations/index.js'
import { sftpDestination, sftpJumpDestination } from './sftp_fixtures.js'
import { listKeys, readText, storedSize } from './storage_helpers.js'
import { describeStorageConformance } from './storage_conformance.js'
import { randomStream, readAll } from './stream_helpers.js'

describeStorageConformance('sftp', async () => {
  const { config, secrets } = sftpDestination()
  return openStorage(config, secrets)
})

describe('sftp storage', () => {
  test('through jump host', async () => {
    const { config, secrets } = sftpJumpDestination()
    const storage = openStorage(config, secrets)
    try {
      await storage.put('jump/object.bin', Readable.from([Buffer.from('via jump')]))
      const read = await readAll(await storage.get('jump/object.bin'))
      expect(read.toString()).toBe('via jump')
    } finally {
      await storage.close()
    }
  })

  test('chrooted account, missing parents', async () => {
    const { service, config, secrets } = sftpDestination()
    const path = `${service.chrootWritable}/run-${randomBytes(4).toString('hex')}/a/b`
    const storage = openStorage({ ...config, username: service.chrootUser, path }, secrets)
    try {
      await storage.put('c/object.bin', Readable.from([Buffer.from('chrooted')]))
      expect(await storedSize(storage, 'c/object.bin')).toBe(8)
      expect(await listKeys(storage, '')).toEqual(['c/object.bin'])
    } finally {
      await storage.close()
    }
  })

  test('password authentication', async () => {
    const { service, config } = sftpDestination()
    const storage = openStorage(config, { password: service.password })
    try {
      await storage.put('password.bin', Readable.from([Buffer.from('by password')]))
      expect(await storedSize(storage, 'password.bin')).toBe(11)
    } finally {
      await storage.close()
    }
  })

  test('session killed mid-upload', { timeout: 120_000 }, async () => {
    const { service, config, secrets } = sftpDestination()
    const storage = new SftpStorage(config, secrets)
    try {
      await storage.connect()
      const before = sessionProcesses(service.port)
      expect(before.length).toBeGreaterThan(0)

      const { stream } = randomStream(512 * 1024 * 1024)
      let sent = 0
      let killed = false
      const body = Readable.from(
        (async function* () {
          for await (const chunk of stream) {
            yield chunk
            sent += chunk.length
            if (!killed && sent >= 16 * 1024 * 1024) {
              killed = true
              for (const pid of before) {
                process.kill(pid, 'SIGKILL')
              }
            }
          }
        })()
      )

      await expect(storage.put('dropped/object.bin', body)).rejects.toMatchObject({
        code: 'STORAGE',
      })

      expect(await storage.stat('dropped/object.bin')).toBeNull()
      expect(await storage.list('dropped/')).toEqual([])
      const leftovers = readdirSync(`${config.path}/dropped`)
      expect(leftovers.every((name) => name.startsWith('.coffer-partial-'))).toBe(true)

      const again = await storage.put(
        'dropped/object.bin',
        Readable.from([Buffer.from('second try')])
      )
      expect(again.size).toBe(10)
      expect(await readText(storage, 'dropped/object.bin')).toBe('second try')
    } finally {
      await storage.close()
    }
  })
})

/**
 * Returns the pids of the sshd processes that serve this test process's connection to `port`,
 * found through the sockets `ss` lists, so other sessions of the same user are left alone.
 */
function sessionProcesses(port: number): number[] {
  const sockets = execFileSync('ss', ['-Htnp'], { encoding: 'utf8' }).split('\n')
  const ours = sockets.find(
    (line) => line.includes(`:${port} `) && line.includes(`pid=${process.pid},`)
  )
  const localPort = ours?.match(/127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)/)?.[1]
  if (!localPort) {
    return []
  }

  const served = sockets.find(
    (line) =>
      line.includes(`127.0.0.1:${port} `) &&
      line.includes(`127.0.0.1:${localPort} `) &&
      !line.includes(`pid=${process.pid},`)
  )
  return [...(served ?? '').matchAll(/pid=(\d+)/g)].map((match) => Number(match[1]))
}
