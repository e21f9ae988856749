import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateSigningKey } from '@coffer/sdk'
import { describe, expect, test } from 'vitest'
import { loadConfig } from '../../src/config/load_config.js'

const BASE = { COFFER_CONTROLLER_URL: 'https://coffer.example.com/' }

describe('loadConfig', () => {
  test('defaults', () => {
    const config = loadConfig(BASE)

    expect(config.controllerUrl.href).toBe('https://coffer.example.com/')
    expect(config.stateDir).toBe('/var/lib/coffer-agent')
    expect(config.dockerSocket).toBe('/var/run/docker.sock')
    expect(config.concurrency).toBe(2)
    expect(config.pollSeconds).toBe(25)
    expect(config.heartbeatSeconds).toBe(15)
    expect(config.jobTimeoutSeconds).toBe(21600)
    expect(config.localDestinationRoot).toBe('/backups')
    expect(config.extraTrustedKeys).toEqual([])
  })

  test.each([
    [{ COFFER_CONTROLLER_URL: '' }, 'COFFER_CONTROLLER_URL is not set'],
    [{ COFFER_CONTROLLER_URL: 'coffer.example.com' }, 'is not a valid URL'],
    [{ COFFER_CONTROLLER_URL: 'ftp://coffer.example.com' }, 'must start with https://'],
    [{ COFFER_CONTROLLER_URL: 'http://coffer.example.com' }, 'plain http to a remote host'],
    [
      { COFFER_CONTROLLER_URL: 'https://user:pw@coffer.example.com' },
      'must not contain a user name',
    ],
    [{ ...BASE, COFFER_CONCURRENCY: '0' }, 'COFFER_CONCURRENCY 0 is out of range'],
    [{ ...BASE, COFFER_CONCURRENCY: 'two' }, 'COFFER_CONCURRENCY "two" is not a whole number'],
    [{ ...BASE, COFFER_POLL_SECONDS: '31' }, 'COFFER_POLL_SECONDS 31 is out of range'],
    [{ ...BASE, COFFER_STATE_DIR: 'state' }, 'COFFER_STATE_DIR "state" must be an absolute path'],
    [
      { ...BASE, COFFER_TRUSTED_KEYS: 'ssh-ed25519 AAAA' },
      'COFFER_TRUSTED_KEYS: invalid public key',
    ],
    [
      { ...BASE, COFFER_TRUSTED_KEYS_FILE: '/nonexistent/keys' },
      'COFFER_TRUSTED_KEYS_FILE /nonexistent/keys cannot be read',
    ],
  ])('rejects %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message)
  })

  test('http allowed for loopback', () => {
    expect(loadConfig({ COFFER_CONTROLLER_URL: 'http://127.0.0.1:3333' }).controllerUrl.port).toBe(
      '3333'
    )
  })

  test('trusted keys from list and file', async () => {
    const first = generateSigningKey().publicKey
    const second = generateSigningKey().publicKey
    const folder = await mkdtemp(join(tmpdir(), 'coffer-agent-keys-'))
    const file = join(folder, 'keys')
    await writeFile(file, `# publisher keys\n${second.text} second publisher\n\n`)

    try {
      const config = loadConfig({
        ...BASE,
        COFFER_TRUSTED_KEYS: ` ${first.text} ,`,
        COFFER_TRUSTED_KEYS_FILE: file,
      })
      expect(config.extraTrustedKeys.map((key) => key.keyId)).toEqual([first.keyId, second.keyId])
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })
})
