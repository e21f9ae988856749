import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import app from '@adonisjs/core/services/app'
import { Vault, isEnvelope } from '#services/vault'
import {
  deriveKeyFromAppKey,
  keyIdOf,
  parseMasterKey,
  parseMasterKeyList,
} from '#services/vault_keys'

const run = promisify(execFile)

function newKey() {
  return parseMasterKey(randomBytes(32).toString('base64'))
}

const binding = { table: 'destinations', column: 'secrets', rowId: 'row-1' }

test.group('Vault envelope', () => {
  test('round trip', ({ assert }) => {
    const vault = new Vault(newKey())
    const envelope = vault.encrypt('s3cr3t value', binding)

    assert.isTrue(isEnvelope(envelope))
    assert.notInclude(envelope, 's3cr3t')
    assert.equal(vault.decrypt(envelope, binding), 's3cr3t value')
  })

  test('envelope format', ({ assert }) => {
    const key = newKey()
    const envelope = new Vault(key).encrypt('x', binding)
    const [version, keyId, payload] = envelope.split(':')

    assert.equal(version, 'v1')
    assert.equal(keyId, key.id)
    assert.match(keyId, /^[0-9a-f]{8}$/)
    assert.equal(Buffer.from(payload, 'base64').length, 12 + 16 + 1)
  })

  test('fresh iv per encryption', ({ assert }) => {
    const vault = new Vault(newKey())

    assert.notEqual(vault.encrypt('same', binding), vault.encrypt('same', binding))
  })

  test('other row rejected', ({ assert }) => {
    const vault = new Vault(newKey())
    const envelope = vault.encrypt('secret', binding)

    assert.throws(
      () => vault.decrypt(envelope, { ...binding, rowId: 'row-2' }),
      /failed authentication/
    )
    assert.throws(
      () => vault.decrypt(envelope, { ...binding, column: 'config' }),
      /failed authentication/
    )
    assert.throws(
      () => vault.decrypt(envelope, { ...binding, table: 'agents' }),
      /failed authentication/
    )
  })

  test('tampered ciphertext rejected', ({ assert }) => {
    const vault = new Vault(newKey())
    const envelope = vault.encrypt('secret', binding)
    const [version, keyId, payload] = envelope.split(':')
    const raw = Buffer.from(payload, 'base64')
    raw[raw.length - 1] ^= 0x01
    const tampered = `${version}:${keyId}:${raw.toString('base64')}`

    assert.throws(() => vault.decrypt(tampered, binding), /failed authentication/)
  })

  test('malformed envelope rejected', ({ assert }) => {
    const vault = new Vault(newKey())

    assert.throws(() => vault.decrypt('plain text', binding), /not a v1 vault envelope/)
    assert.throws(() => vault.decrypt(`v1:${vault.current.id}:AAAA`, binding), /truncated/)
  })

  test('unknown key rejected', ({ assert }) => {
    const envelope = new Vault(newKey()).encrypt('secret', binding)

    assert.throws(() => new Vault(newKey()).decrypt(envelope, binding), /MASTER_KEY_PREVIOUS/)
  })

  test('missing binding rejected', ({ assert }) => {
    const vault = new Vault(newKey())

    assert.throws(() => vault.encrypt('secret', { ...binding, rowId: '' }), /incomplete/)
  })

  test('previous key decrypts and rotates', ({ assert }) => {
    const oldKey = newKey()
    const newer = newKey()
    const envelope = new Vault(oldKey).encrypt('secret', binding)
    const rotating = new Vault(newer, [oldKey])

    assert.equal(rotating.decrypt(envelope, binding), 'secret')
    assert.isTrue(rotating.needsRotation(envelope))

    const rotated = rotating.reencrypt(envelope, binding)

    assert.isFalse(rotating.needsRotation(rotated))
    assert.equal(new Vault(newer).decrypt(rotated, binding), 'secret')
  })
})

test.group('Vault keys', () => {
  test('APP_KEY derivation is stable', ({ assert }) => {
    const first = deriveKeyFromAppKey('some-app-key-of-32-characters-xx')
    const second = deriveKeyFromAppKey('some-app-key-of-32-characters-xx')
    const other = deriveKeyFromAppKey('another-app-key-of-32-characters')

    assert.equal(first.key.length, 32)
    assert.deepEqual(first.key, second.key)
    assert.notDeepEqual(first.key, other.key)
    assert.equal(first.id, keyIdOf(first.key))
  })

  test('master key {case} rejected')
    .with([
      { case: 'not base64', value: 'not*base64!', message: /not valid base64/ },
      { case: 'too short', value: randomBytes(16).toString('base64'), message: /16 bytes/ },
      { case: 'too long', value: randomBytes(48).toString('base64'), message: /48 bytes/ },
    ])
    .run(({ assert }, row) => {
      assert.throws(() => parseMasterKey(row.value), row.message)
      assert.throws(() => parseMasterKey(row.value), /openssl rand -base64 32/)
    })

  test('previous key list parsed', ({ assert }) => {
    const keys = [newKey(), newKey()]
    const value = keys.map((key) => key.key.toString('base64')).join(', ')

    assert.deepEqual(
      parseMasterKeyList(value).map((key) => key.id),
      keys.map((key) => key.id)
    )
  })

  test('malformed MASTER_KEY stops boot', async ({ assert }) => {
    const error = await run(process.execPath, ['ace.js', 'migration:status'], {
      cwd: app.makePath(),
      env: { ...process.env, MASTER_KEY: 'too-short' },
    }).then(
      () => null,
      (failure: { code?: number; stdout?: string; stderr?: string }) => failure
    )

    assert.isNotNull(error)
    assert.notEqual(error!.code, 0)
    assert.include(`${error!.stdout}${error!.stderr}`, 'MASTER_KEY')
    assert.include(`${error!.stdout}${error!.stderr}`, 'openssl rand -base64 32')
  }).timeout(30_000)
})
