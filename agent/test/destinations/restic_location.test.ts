import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { ResticRepositoryLocation, Storage } from '@coffer/sdk'
import { afterAll, describe, expect, test } from 'vitest'
import { openStorage } from '../../src/destinations/index.js'
import type { DestinationConfig, DestinationSecrets } from '../../src/destinations/index.js'
import { s3Destination } from './s3_fixtures.js'
import { serviceEnv } from './service_env.js'
import { sftpDestination, sftpJumpDestination } from './sftp_fixtures.js'

const run = promisify(execFile)
const folder = mkdtempSync(join(tmpdir(), 'coffer-restic-location-'))

afterAll(() => {
  rmSync(folder, { recursive: true, force: true })
})

/** Runs restic with a location's repository, options and environment, and returns stdout. */
async function restic(location: ResticRepositoryLocation, args: string[]): Promise<string> {
  const binary = serviceEnv('restic', ['RESTIC_BINARY']).RESTIC_BINARY
  const passwordFile = join(folder, 'restic-password')
  writeFileSync(passwordFile, 'repository password', { mode: 0o600 })

  const options = location.options.flatMap((option) => ['-o', option])
  const { stdout } = await run(
    binary,
    ['--repo', location.repository, ...options, '--no-cache', ...args],
    {
      env: {
        PATH: process.env.PATH,
        HOME: folder,
        RESTIC_PASSWORD_FILE: passwordFile,
        ...location.environment,
      },
      timeout: 120_000,
    }
  )
  return stdout
}

/** Initializes a repository, backs up a file, and checks that the snapshot restores it. */
async function roundTrip(
  config: DestinationConfig,
  secrets: DestinationSecrets,
  secretValues: string[]
) {
  const storage: Storage = openStorage(config, secrets)
  try {
    const location = await storage.resticLocation!(`restic-${randomBytes(4).toString('hex')}`)
    for (const value of secretValues) {
      expect(location.repository).not.toContain(value)
      expect(location.options.join(' ')).not.toContain(value)
    }

    const source = mkdtempSync(join(folder, 'source-'))
    writeFileSync(join(source, 'data.txt'), 'restic through the destination')

    await restic(location, ['init'])
    await restic(location, ['backup', source])
    const snapshots = JSON.parse(await restic(location, ['snapshots', '--json']))
    expect(snapshots).toHaveLength(1)

    const target = mkdtempSync(join(folder, 'target-'))
    await restic(location, ['restore', 'latest', '--target', target])
    expect(readFileSync(join(target, source, 'data.txt'), 'utf8')).toBe(
      'restic through the destination'
    )
    return location
  } finally {
    await storage.close()
  }
}

describe('resticLocation', () => {
  test('local folder', async () => {
    await roundTrip({ kind: 'local', path: join(folder, 'local') }, {}, [])
  })

  test('sftp with key', { timeout: 120_000 }, async () => {
    const { config, secrets } = sftpDestination()
    await roundTrip(config, secrets, [secrets.privateKey as string])
  })

  test('sftp through jump host', { timeout: 120_000 }, async () => {
    const { config, secrets } = sftpJumpDestination()
    await roundTrip(config, secrets, [secrets.privateKey as string])
  })

  test('sftp with password', { timeout: 120_000 }, async () => {
    const { service, config } = sftpDestination()
    await roundTrip(config, { password: service.password }, [service.password])
  })

  test('sftp files removed on close', async () => {
    const { config, secrets } = sftpDestination()
    const storage = openStorage(config, secrets)
    const location = await storage.resticLocation!('repo')
    const configFile = location.options[0].match(/-F (\S+)/)?.[1] as string
    const keyFile = join(configFile, '..', 'id_target')

    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(statSync(join(configFile, '..')).mode & 0o777).toBe(0o700)
    await storage.close()
    expect(existsSync(keyFile)).toBe(false)
  })

  test('askpass returns each secret', async () => {
    const keyFile = join(folder, 'passphrase_key')
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'key passphrase', '-f', keyFile])
    const { config } = sftpJumpDestination()
    const secrets = {
      privateKey: readFileSync(keyFile, 'utf8'),
      passphrase: 'key passphrase',
      jump: { password: 'jump password' },
    }
    const storage = openStorage(config, secrets)
    try {
      const location = await storage.resticLocation!('repo')
      const askpass = location.options[0].match(/SSH_ASKPASS=(\S+)/)?.[1] as string
      const folderPath = join(askpass, '..')

      const target = await run(askpass, [`Enter passphrase for key '${folderPath}/id_target': `])
      expect(target.stdout).toBe('key passphrase')
      const jump = await run(askpass, ["coffer-jump@127.0.0.1's password: "])
      expect(jump.stdout).toBe('jump password')
      expect(location.options[0]).not.toContain('key passphrase')
    } finally {
      await storage.close()
    }
  })

  test('sftp needs the full host key', async () => {
    const { config, secrets } = sftpDestination({
      hostKey: undefined,
      hostKeyFingerprint: 'SHA256:abc',
    })
    const storage = openStorage(config, secrets)
    await expect(storage.resticLocation!('repo')).rejects.toThrow(/full public host key/)
    await storage.close()
  })

  test('s3 with custom CA', { timeout: 120_000 }, async () => {
    const { config, secrets } = s3Destination()
    const location = await roundTrip(config, secrets, [secrets.secretAccessKey as string])
    expect(location.repository).toBe(
      `s3:${config.endpoint}/${config.bucket}/${config.prefix}${location.repository.split('/').pop()}`
    )
    expect(location.options).toContain('s3.bucket-lookup=path')
  })
})
