import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { test } from '@japa/runner'
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2'
import { serviceEnv } from './service_env.js'

const variables = [
  'SFTP_HOST',
  'SFTP_PORT',
  'SFTP_USER',
  'SFTP_KEY_FILE',
  'SFTP_PASSWORD',
  'SFTP_HOST_KEY_FILE',
  'SFTP_ROOT',
  'SFTP_CHROOT_USER',
  'SFTP_CHROOT_WRITABLE',
  'SFTP_JUMP_PORT',
  'SFTP_JUMP_USER',
  'SFTP_JUMP_HOST_KEY_FILE',
] as const

/** Returns a host verifier that accepts only the key in an OpenSSH public key file. */
async function pinnedHostKey(publicKeyFile: string) {
  const publicKey = await readFile(publicKeyFile, 'utf8')
  const [, base64] = publicKey.trim().split(/\s+/)
  const expected = Buffer.from(base64, 'base64')
  return (key: Buffer) => key.equals(expected)
}

/** Opens an SSH connection; the caller ends it. */
function connect(config: ConnectConfig): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client()
    client.once('ready', () => resolve(client))
    client.once('error', reject)
    client.connect({ readyTimeout: 15_000, ...config })
  })
}

/** Opens the SFTP subsystem on a connection. */
function openSftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => {
    client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp)))
  })
}

/** Writes a file over SFTP. */
function putFile(sftp: SFTPWrapper, path: string, content: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    sftp.writeFile(path, content, (error) => (error ? reject(error) : resolve()))
  })
}

/** Reads a file over SFTP. */
function getFile(sftp: SFTPWrapper, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sftp.readFile(path, (error, content) => (error ? reject(error) : resolve(content)))
  })
}

/** Lists the names in a folder over SFTP. */
function listNames(sftp: SFTPWrapper, path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    sftp.readdir(path, (error, entries) =>
      error ? reject(error) : resolve(entries.map((entry) => entry.filename))
    )
  })
}

/** Opens a direct-tcpip channel from the jump host to host:port. */
function forwardOut(jump: Client, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    jump.forwardOut('127.0.0.1', 0, host, port, (error, stream) =>
      error ? reject(error) : resolve(stream)
    )
  })
}

test.group('sftp service', () => {
  test('put and get with key', async ({ assert, cleanup }) => {
    const env = serviceEnv('sftp', variables)
    const client = await connect({
      host: env.SFTP_HOST,
      port: Number(env.SFTP_PORT),
      username: env.SFTP_USER,
      privateKey: await readFile(env.SFTP_KEY_FILE),
      hostVerifier: await pinnedHostKey(env.SFTP_HOST_KEY_FILE),
    })
    cleanup(() => {
      client.end()
    })
    const sftp = await openSftp(client)

    const name = `key-${randomBytes(6).toString('hex')}.bin`
    const content = randomBytes(64 * 1024)
    await putFile(sftp, join(env.SFTP_ROOT, name), content)

    const readBack = await getFile(sftp, join(env.SFTP_ROOT, name))
    assert.isTrue(readBack.equals(content))

    // The server runs on this machine, so the file is also visible on disk.
    const onDisk = await readFile(join(env.SFTP_ROOT, name))
    assert.isTrue(onDisk.equals(content))
  }).timeout(30_000)

  test('put and get with password', async ({ assert, cleanup }) => {
    const env = serviceEnv('sftp', variables)
    const client = await connect({
      host: env.SFTP_HOST,
      port: Number(env.SFTP_PORT),
      username: env.SFTP_USER,
      password: env.SFTP_PASSWORD,
      hostVerifier: await pinnedHostKey(env.SFTP_HOST_KEY_FILE),
    })
    cleanup(() => {
      client.end()
    })
    const sftp = await openSftp(client)

    const path = join(env.SFTP_ROOT, `password-${randomBytes(6).toString('hex')}.txt`)
    const content = Buffer.from(randomBytes(16).toString('hex'))
    await putFile(sftp, path, content)

    const readBack = await getFile(sftp, path)
    assert.isTrue(readBack.equals(content))
  }).timeout(30_000)

  test('wrong password rejected', async ({ assert }) => {
    const env = serviceEnv('sftp', variables)

    await assert.rejects(
      () =>
        connect({
          host: env.SFTP_HOST,
          port: Number(env.SFTP_PORT),
          username: env.SFTP_USER,
          password: `${env.SFTP_PASSWORD}-wrong`,
          hostVerifier: () => true,
        }),
      /authentication methods failed/
    )
  }).timeout(30_000)

  test('put and get through jump host', async ({ assert, cleanup }) => {
    const env = serviceEnv('sftp', variables)
    const privateKey = await readFile(env.SFTP_KEY_FILE)
    const jump = await connect({
      host: env.SFTP_HOST,
      port: Number(env.SFTP_JUMP_PORT),
      username: env.SFTP_JUMP_USER,
      privateKey,
      hostVerifier: await pinnedHostKey(env.SFTP_JUMP_HOST_KEY_FILE),
    })
    cleanup(() => {
      jump.end()
    })

    const tunnel = await forwardOut(jump, '127.0.0.1', Number(env.SFTP_PORT))
    const client = await connect({
      sock: tunnel,
      username: env.SFTP_USER,
      privateKey,
      hostVerifier: await pinnedHostKey(env.SFTP_HOST_KEY_FILE),
    })
    cleanup(() => {
      client.end()
    })
    const sftp = await openSftp(client)

    const path = join(env.SFTP_ROOT, `jump-${randomBytes(6).toString('hex')}.bin`)
    const content = randomBytes(32 * 1024)
    await putFile(sftp, path, content)

    const readBack = await getFile(sftp, path)
    assert.isTrue(readBack.equals(content))
  }).timeout(30_000)

  test('jump host offers no sftp', async ({ assert, cleanup }) => {
    const env = serviceEnv('sftp', variables)
    const jump = await connect({
      host: env.SFTP_HOST,
      port: Number(env.SFTP_JUMP_PORT),
      username: env.SFTP_JUMP_USER,
      privateKey: await readFile(env.SFTP_KEY_FILE),
      hostVerifier: await pinnedHostKey(env.SFTP_JUMP_HOST_KEY_FILE),
    })
    cleanup(() => {
      jump.end()
    })

    await assert.rejects(() => openSftp(jump))
  }).timeout(30_000)

  test('put and get in chroot', async ({ assert, cleanup }) => {
    const env = serviceEnv('sftp', variables)
    const client = await connect({
      host: env.SFTP_HOST,
      port: Number(env.SFTP_PORT),
      username: env.SFTP_CHROOT_USER,
      privateKey: await readFile(env.SFTP_KEY_FILE),
      hostVerifier: await pinnedHostKey(env.SFTP_HOST_KEY_FILE),
    })
    cleanup(() => {
      client.end()
    })
    const sftp = await openSftp(client)

    // Inside the chroot, the root folder contains only the writable folder.
    const writable = env.SFTP_CHROOT_WRITABLE
    assert.deepEqual(await listNames(sftp, '/'), [writable.replace(/^\//, '')])

    const path = `${writable}/chroot-${randomBytes(6).toString('hex')}.txt`
    const content = Buffer.from(randomBytes(16).toString('hex'))
    await putFile(sftp, path, content)

    const readBack = await getFile(sftp, path)
    assert.isTrue(readBack.equals(content))
    await assert.rejects(() => putFile(sftp, '/outside.txt', content))
  }).timeout(30_000)
})
