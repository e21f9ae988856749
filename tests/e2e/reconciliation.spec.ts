import { randomBytes } from 'node:crypto'
import { readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import Alert from '#models/alert'
import Destination from '#models/destination'
import Job from '#models/job'
import Snapshot from '#models/snapshot'
import type { AgentProcess } from '#tests/helpers/agent_process'
import type { BrowserSession } from '#tests/helpers/browser_session'
import { removeDockerObjects, testDocker } from '#tests/helpers/docker_fixtures'
import {
  addLocalDestination,
  makeDestinationRoot,
  preparePanel,
  startTestAgent,
  waitForVolumeResource,
} from '#tests/helpers/e2e_setup'
import { expectSucceeded, queueBackup, snapshotOf, waitForJob } from '#tests/helpers/panel_jobs'
import { serviceEnv } from '#tests/smoke/service_env'

/** Tables emptied after the group, child tables first. */
const TABLES = [
  'alerts',
  'job_events',
  'snapshots',
  'jobs',
  'resources',
  'agents',
  'servers',
  'instances',
  'destinations',
  'engines',
  'publisher_keys',
  'audit_events',
  'users',
]

/** Returns the path of the one file under `root` whose path ends with `key`. */
async function findArtifact(root: string, key: string) {
  const files = (await readdir(root, { recursive: true })) as string[]
  const matches = files.filter((file) => file.endsWith(key))
  if (matches.length !== 1) {
    throw new Error(`Expected one file ending with ${key} under ${root}, found ${matches.length}`)
  }
  return join(root, matches[0])
}

test.group('End to end: reconciliation finds lost, returned and unrecorded snapshots', (group) => {
  const suffix = randomBytes(4).toString('hex')
  const volumeName = `coffer-e2e-reconcile-${suffix}`
  let agent: AgentProcess | undefined
  let browser: BrowserSession
  let destinationRoot = ''
  let resourceId = ''

  group.each.timeout(180_000)

  // Registered first, so its cleanup runs even when the next setup hook fails midway.
  group.setup(() => async () => {
    await agent?.stop()
    if (agent) {
      await rm(agent.stateDir, { recursive: true, force: true })
    }
    await removeDockerObjects(testDocker(), [], [volumeName])
    if (destinationRoot) {
      await rm(destinationRoot, { recursive: true, force: true })
    }
    for (const table of TABLES) {
      await db
        .from(table)
        .delete()
        .catch(() => {})
    }
  })

  group.setup(async () => {
    serviceEnv('docker', ['DOCKER_SOCKET', 'COFFER_TEST_IMAGE'])
    const docker = testDocker()
    await docker.createVolume({ Name: volumeName })
    const mountpoint = (await docker.getVolume(volumeName).inspect()).Mountpoint
    await writeFile(join(mountpoint, 'data.txt'), 'kept by the snapshot\n')

    const panel = await preparePanel()
    browser = panel.browser
    destinationRoot = await makeDestinationRoot()
    agent = await startTestAgent(panel, destinationRoot)
    resourceId = (await waitForVolumeResource(volumeName)).id
  })

  /** Presses Verify on the destination page and waits for the verify job. */
  async function verifyDestination(destinationId: string) {
    const before = await Job.query().where('kind', 'verify').select('id')
    await browser.get(`/destinations/${destinationId}`)
    await browser.post(`/destinations/${destinationId}/verify`, {})
    const job = await Job.query()
      .where('kind', 'verify')
      .whereNotIn(
        'id',
        before.map((entry) => entry.id)
      )
      .firstOrFail()
    const finished = await waitForJob(job.id, agent!)
    await expectSucceeded(finished, agent!)
  }

  test('verify tracks lost and unrecorded snapshots', async ({ assert }) => {
    const folder = join(destinationRoot, 'reconcile')
    const destinationId = await addLocalDestination(browser, 'reconcile', 'coffer/tar', folder)
    const backup = await waitForJob(await queueBackup(browser, resourceId, destinationId), agent!)
    await expectSucceeded(backup, agent!)
    const snapshot = await snapshotOf(backup)
    const archive = snapshot.artifacts.find((artifact) => artifact.role === 'archive')!
    const archivePath = await findArtifact(folder, archive.key)

    // The archive disappears from the destination, as after a manual cleanup.
    await rename(archivePath, `${archivePath}.moved`)
    await verifyDestination(destinationId)

    const lost = await Snapshot.findOrFail(snapshot.id)
    assert.equal(lost.status, 'missing')
    const alert = await Alert.query()
      .where('kind', 'snapshot_missing')
      .where('snapshot_id', snapshot.id)
      .first()
    assert.exists(alert, 'a missing snapshot raises an alert')

    // The archive comes back, and the snapshot returns to its previous status.
    await rename(`${archivePath}.moved`, archivePath)
    await verifyDestination(destinationId)

    const found = await Snapshot.findOrFail(snapshot.id)
    assert.equal(found.status, 'succeeded')
    assert.isNotNull(found.verifiedAt)

    // A second snapshot loses its record, as if another controller had written it.
    const second = await waitForJob(await queueBackup(browser, resourceId, destinationId), agent!)
    await expectSucceeded(second, agent!)
    const orphan = await snapshotOf(second)
    const orphanArchive = orphan.artifacts.find((artifact) => artifact.role === 'archive')!
    await Snapshot.query().where('id', orphan.id).delete()
    await verifyDestination(destinationId)

    const destination = await Destination.findOrFail(destinationId)
    assert.deepEqual(
      destination.unrecordedSnapshots?.map((entry) => entry.id),
      [orphan.id]
    )
    await findArtifact(folder, orphanArchive.key)
    const page = await browser.get(`/destinations/${destinationId}`)
    assert.include(page.text, orphan.id)
  })
})
