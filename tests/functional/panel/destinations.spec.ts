import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import Destination from '#models/destination'
import { readDestinationSecrets } from '#services/destinations/destination_secrets'
import { createUser } from '#tests/helpers/accounts'
import { registerTestEngine } from '#tests/helpers/engine_fixtures'

test.group('Panel: destinations', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('admin creates an S3 destination', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await registerTestEngine()

    const response = await client
      .post('/destinations')
      .form({
        'name': 'Offsite',
        'kind': 's3',
        'engineId': 'test/archive',
        's3Bucket': 'coffer-backups',
        's3Region': 'eu-west-1',
        's3Endpoint': 'https://127.0.0.1:9000',
        's3AccessKeyId': 'AKIDEXAMPLE',
        's3SecretAccessKey': 'very-secret-value',
        'engineOptions[compression]': 'gzip',
        'engineOptions[level]': '5',
        'engineOptions[apiToken]': 'engine-token-value',
      })
      .withCsrfToken()
      .loginAs(admin)
      .redirects(0)

    response.assertStatus(302)
    const destination = await Destination.findByOrFail('name', 'Offsite')
    assert.equal(destination.config.bucket, 'coffer-backups')
    assert.isTrue(destination.config.forcePathStyle)
    assert.deepEqual(destination.engineOptions, { compression: 'gzip', level: 5 })
    assert.notInclude(JSON.stringify(destination.$attributes), 'very-secret-value')
    assert.notInclude(JSON.stringify(destination.$attributes), 'engine-token-value')

    const secrets = readDestinationSecrets(destination, 'secrets')
    assert.equal(secrets.secretAccessKey, 'very-secret-value')
    const engineSecrets = readDestinationSecrets(destination, 'engine_secrets')
    assert.equal(engineSecrets.apiToken, 'engine-token-value')
    assert.lengthOf(Buffer.from(engineSecrets.encryptionKey, 'base64'), 32)
  })

  test('edit keeps secrets left empty', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await registerTestEngine()
    const form = {
      name: 'Offsite',
      kind: 's3',
      engineId: 'test/archive',
      s3Bucket: 'coffer-backups',
      s3AccessKeyId: 'AKIDEXAMPLE',
      s3SecretAccessKey: 'very-secret-value',
    }
    await client.post('/destinations').form(form).withCsrfToken().loginAs(admin).redirects(0)
    const destination = await Destination.findByOrFail('name', 'Offsite')
    const hostKey = readDestinationSecrets(destination, 'engine_secrets').encryptionKey

    await client
      .put(`/destinations/${destination.id}`)
      .form({ ...form, name: 'Offsite 2', s3SecretAccessKey: '' })
      .withCsrfToken()
      .loginAs(admin)
      .redirects(0)

    await destination.refresh()
    assert.equal(destination.name, 'Offsite 2')
    assert.equal(
      readDestinationSecrets(destination, 'secrets').secretAccessKey,
      'very-secret-value'
    )
    assert.equal(readDestinationSecrets(destination, 'engine_secrets').encryptionKey, hostKey)
  })

  test('secrets never reach the page', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await registerTestEngine()
    await client
      .post('/destinations')
      .form({
        name: 'Box',
        kind: 'sftp',
        engineId: 'test/archive',
        sftpHost: '127.0.0.1',
        sftpUsername: 'backup',
        sftpPath: '/upload',
        sftpPassword: 'sftp-password-value',
      })
      .withCsrfToken()
      .loginAs(admin)
      .redirects(0)
    const destination = await Destination.findByOrFail('name', 'Box')

    for (const path of [
      `/destinations/${destination.id}`,
      `/destinations/${destination.id}/edit`,
      '/destinations',
    ]) {
      const page = await client.get(path).loginAs(admin)
      page.assertStatus(200)
      assert.notInclude(page.text(), 'sftp-password-value', path)
    }
  })

  test('invalid input is rejected with field errors', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await registerTestEngine()

    const response = await client
      .post('/destinations')
      .header('accept', 'application/json')
      .json({ name: 'Bad', kind: 'local', engineId: 'test/archive', localPath: '../etc' })
      .withCsrfToken()
      .loginAs(admin)

    response.assertStatus(422)
    assert.equal(await Destination.query().where('name', 'Bad').first(), null)
  })

  test('unknown engine is refused', async ({ client, assert }) => {
    const admin = await createUser('admin')

    await client
      .post('/destinations')
      .form({ name: 'Nowhere', kind: 'local', engineId: 'nobody/none', localPath: '/backups' })
      .withCsrfToken()
      .loginAs(admin)
      .redirects(0)

    assert.isNull(await Destination.findBy('name', 'Nowhere'))
  })

  test('local destination test writes a probe', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await registerTestEngine()
    const { mkdtemp } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const folder = await mkdtemp(join(tmpdir(), 'coffer-destination-'))

    await client
      .post('/destinations')
      .form({ name: 'Here', kind: 'local', engineId: 'test/archive', localPath: folder })
      .withCsrfToken()
      .loginAs(admin)
      .redirects(0)
    const destination = await Destination.findByOrFail('name', 'Here')

    await client
      .post(`/destinations/${destination.id}/test`)
      .withCsrfToken()
      .loginAs(admin)
      .redirects(0)

    await destination.refresh()
    assert.isTrue(destination.lastTestResult?.ok)
  })
})
