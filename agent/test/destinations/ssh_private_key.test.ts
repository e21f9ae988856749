import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, describe, expect, test } from 'vitest'
import { openStorage, preparePrivateKey } from '../../src/destinations/index.js'
import { sftpDestination } from './sftp_fixtures.js'
import { storedSize } from './storage_helpers.js'

const folder = mkdtempSync(join(tmpdir(), 'coffer-keys-'))

afterAll(() => {
  rmSync(folder, { recursive: true, force: true })
})

/** Generates a key with ssh-keygen and returns its private key text. */
function generateKey(name: string, args: string[]): string {
  const file = join(folder, name)
  execFileSync('ssh-keygen', ['-q', '-f', file, ...args])
  return readFileSync(file, 'utf8')
}

describe('preparePrivateKey', () => {
  test('Windows line endings and trailing spaces', () => {
    const key = generateKey('crlf', ['-t', 'ed25519', '-N', ''])
    const pasted = `\r\n  ${key.split('\n').join('   \r\n')}\r\n\r\n`

    const prepared = preparePrivateKey(pasted)
    expect(prepared.text).toBe(`${key.trim()}\n`)
  })

  test('OpenSSH key with passphrase', () => {
    const key = generateKey('openssh-pass', ['-t', 'ed25519', '-N', 'correct horse'])

    expect(preparePrivateKey(key, 'correct horse').passphrase).toBe('correct horse')
    expect(() => preparePrivateKey(key)).toThrow(/encrypted: enter its passphrase/)
    expect(() => preparePrivateKey(key, 'wrong')).toThrow(/passphrase is wrong/)
  })

  test('PEM RSA key with passphrase', () => {
    const key = generateKey('pem-pass', [
      '-t',
      'rsa',
      '-b',
      '2048',
      '-m',
      'PEM',
      '-N',
      'pem secret',
    ])
    expect(key).toContain('BEGIN RSA PRIVATE KEY')

    expect(preparePrivateKey(key, 'pem secret').text).toContain('BEGIN RSA PRIVATE KEY')
    expect(() => preparePrivateKey(key, 'wrong')).toThrow(/passphrase is wrong/)
  })

  test('PKCS#8 key is converted', () => {
    const key = generateKey('pkcs8', ['-t', 'ecdsa', '-m', 'PKCS8', '-N', ''])
    expect(key).toContain('BEGIN PRIVATE KEY')

    expect(preparePrivateKey(key).text).toContain('BEGIN EC PRIVATE KEY')
  })

  test('PuTTY key is rejected with a hint', () => {
    const source = join(folder, 'putty-source')
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', source])
    execFileSync('puttygen', [source, '-O', 'private', '-o', join(folder, 'key.ppk')])
    const ppk = readFileSync(join(folder, 'key.ppk'), 'utf8')

    expect(() => preparePrivateKey(ppk)).toThrow(/puttygen key\.ppk -O private-openssh -o key/)
  })

  test('garbage is rejected', () => {
    expect(() => preparePrivateKey('not a key')).toThrow(/cannot be read/)
  })
})

describe('sftp key formats', () => {
  test('pasted key connects', async () => {
    const { service, config } = sftpDestination()
    const pasted = service.privateKey.replace(/\n/g, '  \r\n')
    const storage = openStorage(config, { privateKey: pasted })
    try {
      await storage.put('pasted.bin', Readable.from([Buffer.from('ok')]))
      expect(await storedSize(storage, 'pasted.bin')).toBe(2)
    } finally {
      await storage.close()
    }
  })
})
