import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { compareTrees, treeDigest, type TreeDigest } from '@coffer/sdk'
import type { BrowserSession } from '#tests/helpers/browser_session'
import type { AgentProcess } from '#tests/helpers/agent_process'
import { removeDockerObjects, testDocker } from '#tests/helpers/docker_fixtures'
import {
  makeDestinationRoot,
  preparePanel,
  startTestAgent,
  waitForVolumeResource,
} from '#tests/helpers/e2e_setup'
import {
  expectSucceeded,
  jobLog,
  queueBackup,
  queueRestore,
  queueRestoreIntoNewVolume,
  snapshotOf,
  waitForJob,
} from '#tests/helpers/panel_jobs'
import {
  buildPostgresImage,
  initPostgresVolume,
  psql,
  removePostgresContainer,
  startPostgresContainer,
  type PostgresImage,
} from '#tests/helpers/postgres_container'
import { copyRealTrees, damageRealTrees } from '#tests/helpers/real_trees'
import {
  acceptSftpHostKey,
  addDestination,
  pressTest,
  publicKeyFingerprint,
  removeS3Objects,
  s3DestinationFields,
  setS3CaCertificate,
  sftpDestinationFields,
} from '#tests/helpers/remote_destinations'
import { serviceEnv } from '#tests/smoke/service_env'

/** Tables emptied after the group, child tables first. */
const TABLES = [
  'job_events',
  'snapshots',
  'jobs',
  'alerts',
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

/** Every engine on every destination kind. The tar engine encrypts. */
const CASES = [
  { engineId: 'coffer/tar', kind: 'local' },
  { engineId: 'coffer/tar', kind: 'sftp' },
  { engineId: 'coffer/tar', kind: 's3' },
  { engineId: 'coffer/restic', kind: 'local' },
  { engineId: 'coffer/restic', kind: 'sftp' },
  { engineId: 'coffer/restic', kind: 's3' },
] as const

/** Rows added before each backup, each with a 96-character payload. */
const ROWS_PER_CASE = 2000

/** A summary of the table that changes with any row: count, tags and a digest of every row. */
const SUMMARY_SQL =
  "SELECT count(*) || ' rows, ' || count(DISTINCT tag) || ' tags, ' || md5(string_agg(id || ':' || tag || ':' || payload, ',' ORDER BY id)) FROM items"

test.group('End to end: real data through both engines and all destinations', (group) => {
  const suffix = randomBytes(4).toString('hex')
  const pgVolume = `coffer-real-pg-${suffix}`
  const pgContainer = `coffer-real-pg-${suffix}`
  const restoredContainer = `coffer-real-pg-restored-${suffix}`
  const restoredVolumes: string[] = []
  const treeVolume = `coffer-real-tree-${suffix}`
  const imageTag = `coffer-real-postgres:${suffix}`
  const remoteFolder = `coffer-real-${suffix}`
  let destinationRoot = ''
  let agent: AgentProcess | undefined
  let browser: BrowserSession
  let image: PostgresImage
  let resources: { pg: string; tree: string }
  let treeMountpoint = ''
  let seededTree: TreeDigest
  let sftpFingerprint = ''

  group.each.timeout(150_000)

  // Registered first, so its cleanup runs even when the next setup hook fails midway.
  group.setup(() => async () => {
    await agent?.stop()
    if (agent) {
      await rm(agent.stateDir, { recursive: true, force: true })
    }
    const docker = testDocker()
    await removeDockerObjects(
      docker,
      [pgContainer, restoredContainer],
      [pgVolume, treeVolume, ...restoredVolumes]
    )
    await docker
      .getImage(imageTag)
      .remove({ force: true })
      .catch(() => {})
    if (destinationRoot) {
      await rm(destinationRoot, { recursive: true, force: true })
    }
    if (process.env.SFTP_ROOT) {
      await rm(join(process.env.SFTP_ROOT, remoteFolder), { recursive: true, force: true })
    }
    await removeS3Objects(`${remoteFolder}/`).catch((error) => {
      console.error(`Removing the S3 objects under ${remoteFolder}/ failed: ${error.message}`)
    })
    for (const table of TABLES) {
      await db
        .from(table)
        .delete()
        .catch(() => {})
    }
  })

  group.setup(async () => {
    serviceEnv('docker', ['DOCKER_SOCKET', 'COFFER_TEST_IMAGE'])
    const sftp = serviceEnv('sftp', ['SFTP_HOST_KEY_FILE', 'SFTP_ROOT'])
    serviceEnv('s3', ['S3_ENDPOINT', 'S3_CA_FILE'])
    sftpFingerprint = await publicKeyFingerprint(sftp.SFTP_HOST_KEY_FILE)
    const docker = testDocker()

    const panel = await preparePanel()
    browser = panel.browser
    destinationRoot = await makeDestinationRoot()

    // (a) A PostgreSQL server built from this machine's binaries, with its data in a volume.
    image = await buildPostgresImage(docker, imageTag)
    await docker.createVolume({ Name: pgVolume })
    await initPostgresVolume(docker, image, pgVolume)
    const server = await startPostgresContainer(docker, image, pgContainer, pgVolume)
    await psql(
      server,
      image,
      'CREATE TABLE items (id serial PRIMARY KEY, tag text NOT NULL, payload text NOT NULL); CREATE INDEX items_tag ON items (tag)'
    )

    // (b) Copies of the time zone database and of part of node_modules.
    await docker.createVolume({ Name: treeVolume })
    treeMountpoint = (await docker.getVolume(treeVolume).inspect()).Mountpoint
    await copyRealTrees(treeMountpoint)
    seededTree = await treeDigest(treeMountpoint)

    agent = await startTestAgent(panel, destinationRoot)
    resources = {
      pg: (await waitForVolumeResource(pgVolume)).id,
      tree: (await waitForVolumeResource(treeVolume)).id,
    }
  })

  /** Adds the destination of one case through the panel and checks it with the Test button. */
  async function addCaseDestination(engineId: string, kind: string) {
    const label = `${engineId.split('/')[1]}-${kind}`
    const engineOptions: Record<string, string> =
      engineId === 'coffer/tar'
        ? { 'engineOptions[compression]': 'zstd', 'engineOptions[encryption]': 'true' }
        : {}
    const location =
      kind === 'local'
        ? { kind: 'local', localPath: join(destinationRoot, label) }
        : kind === 'sftp'
          ? await sftpDestinationFields(`${remoteFolder}/${label}`)
          : s3DestinationFields(`${remoteFolder}/${label}/`)

    const id = await addDestination(browser, {
      name: label,
      engineId,
      ...location,
      ...engineOptions,
    })
    if (kind === 'sftp') {
      await acceptSftpHostKey(browser, id, sftpFingerprint)
    }
    if (kind === 's3') {
      await setS3CaCertificate(id, process.env.S3_CA_FILE!)
    }
    return { id, label, test: await pressTest(browser, id) }
  }

  /**
   * Returns the running server container, starting a fresh one on the data volume when an
   * earlier case failed after stopping it.
   */
  async function runningServer() {
    const docker = testDocker()
    const container = docker.getContainer(pgContainer)
    const state = await container.inspect().then(
      (details) => details.State,
      () => null
    )
    if (state?.Running && !state.Paused) {
      return container
    }
    await removePostgresContainer(docker, pgContainer)
    return startPostgresContainer(docker, image, pgContainer, pgVolume)
  }

  for (const { engineId, kind } of CASES) {
    test(`${engineId} on ${kind}`, async ({ assert }) => {
      const docker = testDocker()
      const destination = await addCaseDestination(engineId, kind)
      assert.isTrue(destination.test.ok, `Test button: ${JSON.stringify(destination.test)}`)

      // New rows before each backup, so every case restores a state no other case saw.
      const server = await runningServer()
      await psql(
        server,
        image,
        `INSERT INTO items (tag, payload) SELECT '${destination.label}', repeat(md5(i::text), 3) FROM generate_series(1, ${ROWS_PER_CASE}) i`
      )
      const expectedRows = await psql(server, image, SUMMARY_SQL)

      // The database first: the first backup of a restic destination also creates its repository.
      const pgBackup = await waitForJob(
        await queueBackup(browser, resources.pg, destination.id),
        agent!
      )
      await expectSucceeded(pgBackup, agent!)
      const treeBackup = await waitForJob(
        await queueBackup(browser, resources.tree, destination.id),
        agent!
      )
      await expectSucceeded(treeBackup, agent!)

      assert.isTrue(
        (await jobLog(pgBackup.id)).some((line) => line.includes(`pausing ${pgContainer}`)),
        'the agent pauses the server while copying its data folder'
      )
      const serverState = (await server.inspect()).State
      assert.isTrue(serverState.Running, 'the server runs after the backup')
      assert.isFalse(serverState.Paused, 'the server is not left paused')

      const pgSnapshot = await snapshotOf(pgBackup)
      const treeSnapshot = await snapshotOf(treeBackup)
      assert.equal(pgSnapshot.status, 'succeeded')
      assert.equal(treeSnapshot.status, 'succeeded')
      // NOTE: the tar engine counts every entry that is not a folder as a file, and restic
      // counts regular files only, so only the lower bound is common to both.
      const regularFiles = [...seededTree.entries.values()].filter((entry) => entry.type === 'file')
      assert.isAtLeast(treeSnapshot.stats?.files ?? 0, regularFiles.length)

      // Changes after the backup, which the restore must undo.
      await psql(
        server,
        image,
        "DELETE FROM items WHERE id % 5 = 0; INSERT INTO items (tag, payload) VALUES ('after-backup', 'x')"
      )
      assert.notEqual(await psql(server, image, SUMMARY_SQL), expectedRows)
      await damageRealTrees(treeMountpoint)
      assert.isNotEmpty(compareTrees(seededTree, await treeDigest(treeMountpoint)))

      // The tree is restored in place. The database goes into a new volume while its server
      // keeps running on the original one, which the restore must not touch.
      const restoredVolume = `${pgVolume}-${destination.label}`
      restoredVolumes.push(restoredVolume)
      const changedRows = await psql(server, image, SUMMARY_SQL)
      const restoreJobs = [
        await queueRestoreIntoNewVolume(browser, pgSnapshot, restoredVolume),
        await queueRestore(browser, treeSnapshot),
      ]
      for (const jobId of restoreJobs) {
        await expectSucceeded(await waitForJob(jobId, agent!), agent!)
      }

      assert.deepEqual(compareTrees(seededTree, await treeDigest(treeMountpoint)), [])
      const original = (await server.inspect()).State
      assert.isTrue(original.Running && !original.Paused, 'the original server kept running')
      assert.equal(await psql(server, image, SUMMARY_SQL), changedRows)

      // A second server on the new volume recovers from the copy taken while the first ran.
      const restored = await startPostgresContainer(
        docker,
        image,
        restoredContainer,
        restoredVolume
      )
      try {
        assert.equal(await psql(restored, image, SUMMARY_SQL), expectedRows)
        const serverLog = (await restored.logs({ stdout: true, stderr: true })).toString()
        assert.include(serverLog, 'automatic recovery in progress')
      } finally {
        await removePostgresContainer(docker, restoredContainer)
      }
    })
  }
})
