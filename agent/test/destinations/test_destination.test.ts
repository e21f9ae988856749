import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { hostKeyFingerprint, parseHostKey, testDestination } from '../../src/destinations/index.js'
import { s3Destination } from './s3_fixtures.js'
import { sftpDestination, sftpJumpDestination } from './sftp_fixtures.js'

const folder = mkdtempSync(join(tmpdir(), 'coffer-test-destination-'))

afterAll(() => {
  rmSync(folder, { recursive: true, force: true })
})

/** Returns a TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('testDestination', () => {
  test('local folder ok', async () => {
    const result = await testDestination({ kind: 'local', path: join(folder, 'local') })
    expect(result.ok).toBe(true)
  })

  test('sftp ok with fingerprint', async () => {
    const { service, config, secrets } = sftpDestination()
    const result = await testDestination(config, secrets)

    expect(result).toMatchObject({ ok: true, latencyMs: expect.any(Number) })
    expect(result.fingerprint).toBe(hostKeyFingerprint(parseHostKey(service.hostKey) as Buffer))
  })

  test('sftp through jump host ok', async () => {
    const { config, secrets } = sftpJumpDestination()
    expect(await testDestination(config, secrets)).toMatchObject({ ok: true })
  })

  test('s3 ok', async () => {
    const { config, secrets } = s3Destination()
    expect(await testDestination(config, secrets)).toMatchObject({ ok: true })
  })

  test('HOST_UNREACHABLE on closed port', async () => {
    const { config, secrets } = sftpDestination({ port: await closedPort() })
    const result = await testDestination(config, secrets)
    expect(result).toMatchObject({ ok: false, code: 'HOST_UNREACHABLE' })
  })

  test('HOST_UNREACHABLE for s3', async () => {
    const { config, secrets } = s3Destination({
      endpoint: `https://127.0.0.1:${await closedPort()}`,
    })
    const result = await testDestination(config, secrets)
    expect(result).toMatchObject({ ok: false, code: 'HOST_UNREACHABLE' })
  })

  test('AUTH_FAILED with wrong key', async () => {
    const keyFile = join(folder, 'wrong_key')
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile])
    const { config } = sftpDestination()
    const result = await testDestination(config, { privateKey: readFileSync(keyFile, 'utf8') })
    expect(result).toMatchObject({ ok: false, code: 'AUTH_FAILED' })
  })

  test('AUTH_FAILED with wrong password', async () => {
    const { config } = sftpDestination()
    const result = await testDestination(config, { password: 'not the password' })
    expect(result).toMatchObject({ ok: false, code: 'AUTH_FAILED' })
  })

  // s3rver 3.7 checks the access key id but not SigV4 signatures, so a wrong secret passes there.
  test('AUTH_FAILED with unknown S3 access key', async () => {
    const { config, secrets } = s3Destination()
    const result = await testDestination(config, { ...secrets, accessKeyId: 'COFFERUNKNOWNKEY' })
    expect(result).toMatchObject({ ok: false, code: 'AUTH_FAILED' })
  })

  test('HOST_KEY_UNKNOWN returns the key', async () => {
    const { service, config, secrets } = sftpDestination({ hostKey: undefined })
    const result = await testDestination(config, secrets)

    expect(result).toMatchObject({ ok: false, code: 'HOST_KEY_UNKNOWN', hostRole: 'target' })
    expect(result.fingerprint).toBe(hostKeyFingerprint(parseHostKey(service.hostKey) as Buffer))
    expect(result).toMatchObject({ hostKey: service.hostKey.split(/\s+/).slice(0, 2).join(' ') })
  })

  test('HOST_KEY_CHANGED with another pin', async () => {
    const { service, config, secrets } = sftpDestination({ hostKey: undefined })
    config.hostKey = undefined
    config.hostKeyFingerprint = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
    const result = await testDestination(config, secrets)

    expect(result).toMatchObject({ ok: false, code: 'HOST_KEY_CHANGED' })
    expect(result.fingerprint).toBe(hostKeyFingerprint(parseHostKey(service.hostKey) as Buffer))
  })

  test('HOST_KEY_CHANGED on the jump host', async () => {
    const { service, config, secrets } = sftpJumpDestination()
    config.jump = { ...config.jump!, hostKey: service.hostKey }
    const result = await testDestination(config, secrets)
    expect(result).toMatchObject({ ok: false, code: 'HOST_KEY_CHANGED', hostRole: 'jump' })
  })

  test('BUCKET_MISSING', async () => {
    const { config, secrets } = s3Destination({ bucket: 'coffer-no-such-bucket' })
    const result = await testDestination(config, secrets)
    expect(result).toMatchObject({ ok: false, code: 'BUCKET_MISSING' })
  })

  test('PATH_NOT_WRITABLE for read-only folder', async () => {
    const { service, config, secrets } = sftpDestination()
    const readOnly = `${service.root}/read-only-${Date.now()}`
    mkdirSync(readOnly, { mode: 0o555 })
    try {
      const result = await testDestination({ ...config, path: readOnly }, secrets)
      expect(result).toMatchObject({ ok: false, code: 'PATH_NOT_WRITABLE' })

      const nested = await testDestination(
        { ...config, path: `${readOnly}/missing/child` },
        secrets
      )
      expect(nested).toMatchObject({ ok: false, code: 'PATH_NOT_WRITABLE' })
    } finally {
      rmSync(readOnly, { recursive: true, force: true })
    }
  })

  test('PERMISSION_DENIED for unreadable object', async () => {
    const { service, config, secrets } = sftpDestination()
    const root = `${service.root}/unreadable-${Date.now()}`
    mkdirSync(root)
    execFileSync('chmod', ['777', root])
    try {
      const { openStorage } = await import('../../src/destinations/index.js')
      const storage = openStorage({ ...config, path: root }, secrets)
      const { Readable } = await import('node:stream')
      await storage.put('secret.bin', Readable.from([Buffer.from('x')]))
      execFileSync('chmod', ['000', `${root}/secret.bin`])
      await expect(storage.get('secret.bin')).rejects.toMatchObject({ reason: 'PERMISSION_DENIED' })
      await storage.close()
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  test('TIMEOUT on a silent server', async () => {
    const server = createServer(() => undefined)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    try {
      const { config, secrets } = sftpDestination({ port, timeoutMs: 1_000 })
      const result = await testDestination(config, secrets)
      expect(result).toMatchObject({ ok: false, code: 'TIMEOUT' })
    } finally {
      server.close()
    }
  })

  test('INVALID_CONFIG for PuTTY key', async () => {
    const { config } = sftpDestination()
    const result = await testDestination(config, {
      privateKey: 'PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n',
    })
    expect(result).toMatchObject({ ok: false, code: 'INVALID_CONFIG' })
    expect(result).toMatchObject({ message: expect.stringMatching(/puttygen/) })
  })
})
