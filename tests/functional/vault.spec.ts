import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import testUtils from '@adonisjs/core/services/test_utils'
import ace from '@adonisjs/core/services/ace'
import Setting from '#models/setting'
import AuditEvent from '#models/audit_event'
import settings from '#services/settings'
import vault, { createVaultFromEnv, Vault } from '#services/vault'
import { parseMasterKey } from '#services/vault_keys'

function newKey() {
  return parseMasterKey(randomBytes(32).toString('base64'))
}

function keyIdOf(envelope: string) {
  return envelope.split(':')[1]
}

test.group('Vault in the database', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.teardown(() => vault.use(undefined))

  test('secret copied to another row fails', async ({ assert }) => {
    await settings.setSecret('test.first', 'first secret')
    await settings.setSecret('test.second', 'second secret')
    const first = await Setting.findOrFail('test.first')

    await Setting.query().where('key', 'test.second').update({ value: first.value })

    await assert.rejects(() => settings.getSecret('test.second'), /failed authentication/)
    assert.equal(await settings.getSecret('test.first'), 'first secret')
  })

  test('plain get never returns a secret', async ({ assert }) => {
    await settings.setSecret('test.secret', 'hidden value')

    assert.isNull(await settings.get('test.secret'))
    assert.isTrue(await settings.hasSecret('test.secret'))
  })

  test('rotation re-encrypts while running', async ({ assert }) => {
    const oldVault = createVaultFromEnv()
    vault.use(oldVault)
    await settings.setSecret('test.alpha', 'alpha secret')
    await settings.setSecret('test.beta', 'beta secret')
    await settings.set('test.plain', 'v1:not-a-secret')
    const oldKeyId = oldVault.current.id

    const newer = newKey()
    vault.use(new Vault(newer, [oldVault.current]))
    assert.equal(await settings.getSecret('test.alpha'), 'alpha secret')

    const command = await ace.exec('vault:rotate', [])

    assert.equal(command.exitCode, 0)
    for (const key of ['test.alpha', 'test.beta']) {
      const row = await Setting.findOrFail(key)
      assert.equal(keyIdOf(row.value!), newer.id)
      assert.notEqual(keyIdOf(row.value!), oldKeyId)
    }
    vault.use(new Vault(newer))
    assert.equal(await settings.getSecret('test.alpha'), 'alpha secret')
    assert.equal(await settings.getSecret('test.beta'), 'beta secret')
    const plain = await Setting.findOrFail('test.plain')
    assert.equal(plain.value, 'v1:not-a-secret')

    const event = await AuditEvent.findByOrFail('event', 'secrets.rotated')
    assert.deepInclude(event.detailsObject, { keyId: newer.id, rotated: 2, failed: 0 })
  })

  test('dry run changes nothing', async ({ assert }) => {
    const oldVault = createVaultFromEnv()
    vault.use(oldVault)
    await settings.setSecret('test.gamma', 'gamma secret')
    const before = await Setting.findOrFail('test.gamma')

    vault.use(new Vault(newKey(), [oldVault.current]))
    const command = await ace.exec('vault:rotate', ['--dry-run'])

    assert.equal(command.exitCode, 0)
    const after = await Setting.findOrFail('test.gamma')
    assert.equal(after.value, before.value)
    assert.isNull(await AuditEvent.findBy('event', 'secrets.rotated'))
  })

  test('unknown key fails the run', async ({ assert }) => {
    const lost = newKey()
    vault.use(new Vault(lost))
    await settings.setSecret('test.lost', 'unrecoverable')

    const current = createVaultFromEnv()
    vault.use(current)
    await settings.setSecret('test.kept', 'kept secret')
    vault.use(new Vault(newKey(), [current.current]))

    const command = await ace.exec('vault:rotate', [])

    assert.equal(command.exitCode, 1)
    assert.equal(await settings.getSecret('test.kept'), 'kept secret')
    const lostRow = await Setting.findOrFail('test.lost')
    assert.equal(keyIdOf(lostRow.value!), lost.id)
  })
})
