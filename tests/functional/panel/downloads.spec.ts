import { test } from '@japa/runner'
import { randomBytes, randomUUID } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { rm, stat, utimes, writeFile } from 'node:fs/promises'
import testUtils from '@adonisjs/core/services/test_utils'
import ace from '@adonisjs/core/services/ace'
import { DateTime } from 'luxon'
import type { ApiClient } from '@japa/api-client'
import Job from '#models/job'
import type User from '#models/user'
import { createUser } from '#tests/helpers/accounts'
import { backupResult, createBackupSetup } from '#tests/helpers/backup_fixtures'
import { decodeHtmlEntities } from '#tests/helpers/panel_pages'
import { waitFor } from '#tests/helpers/agent_process'
import { downloadArchivePath, partialUploadPath } from '#services/downloads/download_paths'
import { expiredDownloadMessage } from '#services/downloads/download_archive'

const HOUR_MS = 60 * 60 * 1000

function agentApiUrl(path: string) {
  return `http://127.0.0.1:${process.env.PORT}/api/agent${path}`
}

async function exists(path: string) {
  return stat(path).then(
    () => true,
    () => false
  )
}

async function setMtime(path: string, hoursAgo: number) {
  const mtime = new Date(Date.now() - hoursAgo * HOUR_MS)
  await utimes(path, mtime, mtime)
}

/** Leases the one queued job as the agent and returns it. */
async function leaseJob(client: ApiClient, token: string) {
  const lease = await client
    .post('/api/agent/lease')
    .bearerToken(token)
    .json({ capacity: 1, waitSeconds: 0 })
  return lease.body().job as { id: string; kind: string; payload: Record<string, any> }
}

/**
 * Backs up as `user` and the agent, then presses Download on `/data/report.txt` of the new
 * snapshot and leases the extract job as the agent. Returns the agent's token and the job id.
 */
async function queueAndLeaseExtract(client: ApiClient, user: User) {
  const setup = await createBackupSetup()
  await client
    .post(`/resources/${setup.resource.id}/backups`)
    .form({ destinationId: setup.destination.id })
    .withCsrfToken()
    .loginAs(user)
  const backup = await leaseJob(client, setup.token)
  await client
    .post(`/api/agent/jobs/${backup.id}/complete`)
    .bearerToken(setup.token)
    .json({ status: 'succeeded', result: backupResult(backup.payload.snapshotId) })

  await client
    .post(`/snapshots/${backup.payload.snapshotId}/extract`)
    .form({ path: '/data/report.txt' })
    .withCsrfToken()
    .loginAs(user)
  const extract = await leaseJob(client, setup.token)
  return { token: setup.token, jobId: extract.id, kind: extract.kind }
}

/** Uploads `body` as the archive of an extract job, as the agent does. */
async function uploadArchive(jobId: string, token: string, body: Buffer) {
  return fetch(agentApiUrl(`/jobs/${jobId}/upload`), {
    method: 'PUT',
    headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/x-tar' },
    body,
  })
}

test.group('Panel: download archives', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('uploaded archive downloads, then expires', async ({ client, assert, cleanup }) => {
    const operator = await createUser('operator')
    const { token, jobId, kind } = await queueAndLeaseExtract(client, operator)
    assert.equal(kind, 'extract')
    cleanup(() => rm(downloadArchivePath(jobId), { force: true }))

    const archive = randomBytes(10240)
    const upload = await uploadArchive(jobId, token, archive)
    assert.equal(upload.status, 204)
    assert.isTrue(await exists(downloadArchivePath(jobId)))
    assert.isFalse(await exists(partialUploadPath(jobId)))

    await client
      .post(`/api/agent/jobs/${jobId}/complete`)
      .bearerToken(token)
      .json({ status: 'succeeded', result: {} })

    const page = await client.get(`/jobs/${jobId}`).loginAs(operator)
    assert.include(page.text(), `href="/jobs/${jobId}/download"`)

    const download = await client.get(`/jobs/${jobId}/download`).loginAs(operator)
    download.assertStatus(200)
    download.assertHeader('content-type', 'application/x-tar')
    download.assertHeader('content-length', String(archive.length))
    assert.include(download.header('content-disposition'), 'report.txt.tar')

    // The archive and its job ended 25 hours ago, past the default retention of 24 hours.
    await setMtime(downloadArchivePath(jobId), 25)
    const job = await Job.findOrFail(jobId)
    job.finishedAt = DateTime.now().minus({ hours: 25 })
    await job.save()
    const command = await ace.exec('downloads:prune', [])
    assert.equal(command.exitCode, 0)
    assert.isFalse(await exists(downloadArchivePath(jobId)))

    const expired = await client.get(`/jobs/${jobId}/download`).loginAs(operator).redirects(0)
    expired.assertStatus(302)
    assert.equal(expired.header('location'), `/jobs/${jobId}`)
    expired.assertFlashMessage('error', expiredDownloadMessage(24))
    assert.include(expiredDownloadMessage(24), 'expired')
    assert.include(expiredDownloadMessage(24), '24 hours')
    assert.include(expiredDownloadMessage(24), 'Press Download again on the snapshot page')

    const expiredPage = await client.get(`/jobs/${jobId}`).loginAs(operator)
    expiredPage.assertStatus(200)
    const text = decodeHtmlEntities(expiredPage.text())
    assert.include(text, expiredDownloadMessage(24))
    assert.notInclude(text, `href="/jobs/${jobId}/download"`)
  })

  test('archive gone before retention says missing', async ({ client, assert }) => {
    const operator = await createUser('operator')
    const { token, jobId } = await queueAndLeaseExtract(client, operator)
    await uploadArchive(jobId, token, randomBytes(512))
    await client
      .post(`/api/agent/jobs/${jobId}/complete`)
      .bearerToken(token)
      .json({ status: 'succeeded', result: {} })
    await rm(downloadArchivePath(jobId))

    const response = await client.get(`/jobs/${jobId}/download`).loginAs(operator).redirects(0)

    response.assertStatus(302)
    assert.equal(response.header('location'), `/jobs/${jobId}`)
    const flashed = response.flashMessages().error as string
    assert.include(flashed, 'not on this controller')
    assert.include(flashed, 'Press Download again on the snapshot page')
  })

  test('unfinished job download not ready', async ({ client, assert }) => {
    const operator = await createUser('operator')
    const { jobId } = await queueAndLeaseExtract(client, operator)

    const response = await client.get(`/jobs/${jobId}/download`).loginAs(operator).redirects(0)

    response.assertStatus(404)
    assert.include(response.text(), 'not ready')
  })

  test('aborted upload leaves no partial file', async ({ client, assert }) => {
    const operator = await createUser('operator')
    const { token, jobId } = await queueAndLeaseExtract(client, operator)

    const upload = httpRequest(agentApiUrl(`/jobs/${jobId}/upload`), {
      method: 'PUT',
      headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/x-tar' },
    })
    upload.on('error', () => {})
    upload.write(randomBytes(4096))
    await waitFor(
      'the partial upload file',
      async () => ((await exists(partialUploadPath(jobId))) ? true : undefined),
      5_000
    )
    upload.destroy()

    await waitFor(
      'the partial upload file to be removed',
      async () => ((await exists(partialUploadPath(jobId))) ? undefined : true),
      5_000
    )
    assert.isFalse(await exists(downloadArchivePath(jobId)))
  })

  test('prune command removes only old archives', async ({ assert, cleanup }) => {
    const old = downloadArchivePath(randomUUID())
    const fresh = downloadArchivePath(randomUUID())
    cleanup(() => rm(old, { force: true }))
    cleanup(() => rm(fresh, { force: true }))
    await writeFile(old, 'old archive')
    await setMtime(old, 48)
    await writeFile(fresh, 'fresh archive')

    const command = await ace.exec('downloads:prune', [])

    assert.equal(command.exitCode, 0)
    assert.isFalse(await exists(old))
    assert.isTrue(await exists(fresh))
  })
})
