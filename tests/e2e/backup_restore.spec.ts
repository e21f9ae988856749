import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { test } from '@japa/runner'
import env from '#start/env'
import db from '@adonisjs/lucid/services/db'
import { compareTrees, treeDigest } from '@coffer/sdk'
import Job from '#models/job'
import Resource from '#models/resource'
import Snapshot from '#models/snapshot'
import { signWorkspaceEngines } from '#services/engines/sign_workspace_engines'
import { BrowserSession } from '#tests/helpers/browser_session'
import { startAgentProcess, waitFor, type AgentProcess } from '#tests/helpers/agent_process'
import {
  removeDockerObjects,
  startWriterContainer,
  testDocker,
} from '#tests/helpers/docker_fixtures'
import { serviceEnv } from '#tests/smoke/service_env'
import { jobIdFrom, registerAdmin } from '#tests/helpers/e2e_setup'

const run = promisify(execFile)

/** Waits until a job ends and returns it; fails with the agent's output when it does not. */
async function waitForJob(jobId: string, agent: AgentProcess, timeoutMs = 120_000) {
  try {
    return await waitFor(
      `job ${jobId} to end`,
      async () => {
        const job = await Job.findOrFail(jobId)
        return job.isFinal ? job : undefined
      },
      timeoutMs
    )
  } catch (error) {
    throw new Error(`${(error as Error).message}\nAgent output:\n${agent.output().slice(-4000)}`)
  }
}

/** Collects the messages of one Transmit channel from a server-sent-events stream. */
async function watchChannel(browser: BrowserSession, channel: string) {
  const uid = randomBytes(8).toString('hex')
  const abort = new AbortController()
  const messages: any[] = []
  const response = await browser.stream(`/__transmit/events?uid=${uid}`, abort.signal)

  const reading = (async () => {
    const decoder = new TextDecoder()
    let buffered = ''
    try {
      for await (const chunk of response.body!) {
        buffered += decoder.decode(chunk, { stream: true })
        let end = buffered.indexOf('\n\n')
        while (end !== -1) {
          const frame = buffered.slice(0, end)
          buffered = buffered.slice(end + 2)
          const data = frame
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n')
          if (data) {
            const message = JSON.parse(data)
            if (message.channel === channel) {
              messages.push(message.payload)
            }
          }
          end = buffered.indexOf('\n\n')
        }
      }
    } catch {
      // The stream ends when the test aborts it.
    }
  })()

  const subscribed = await browser.postJson('/__transmit/subscribe', { uid, channel })
  if (subscribed.status !== 204) {
    throw new Error(`Subscribing to ${channel} failed with status ${subscribed.status}`)
  }

  return {
    messages,
    close: async () => {
      abort.abort()
      await reading
    },
  }
}

test.group('End to end: back up and restore a Docker volume through the panel', (group) => {
  const docker = testDocker
  const suffix = randomBytes(4).toString('hex')
  const volumeName = `coffer-e2e-${suffix}`
  const containerName = `coffer-e2e-writer-${suffix}`
  let agent: AgentProcess | undefined
  let destinationRoot = ''

  group.teardown(async () => {
    await agent?.stop()
    await removeDockerObjects(docker(), [containerName], [volumeName])
    if (destinationRoot) {
      await rm(destinationRoot, { recursive: true, force: true })
    }
    for (const table of [
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
    ]) {
      await db
        .from(table)
        .delete()
        .catch(() => {})
    }
  })

  test('back up now, browse, download, restore in place', async ({ assert }) => {
    const { DOCKER_SOCKET } = serviceEnv('docker', ['DOCKER_SOCKET', 'COFFER_TEST_IMAGE'])
    const browser = new BrowserSession(`http://127.0.0.1:${env.get('PORT')}`)
    destinationRoot = await mkdtemp(join(tmpdir(), 'coffer-e2e-backups-'))

    // The first account becomes the admin.
    await registerAdmin(browser)

    // Engines: the workspace bundles, signed with this installation's local key.
    const signing = await signWorkspaceEngines()
    await browser.get('/engines')
    await browser.post('/engines/scan', {})
    const engines = await browser.get('/engines')
    assert.include(engines.text, 'coffer/tar')

    // An instance for a plain Docker host, and its install command shown once.
    await browser.get('/instances/create')
    const created = await browser.post('/instances', { name: 'lab', kind: 'docker' })
    const instancePath = created.location!
    await browser.get(instancePath)
    const reveal = await browser.post(`${instancePath}/enrollment-token`, {})
    const commandText = reveal.text.replace(/&#x27;|&#39;/g, "'").replaceAll('&amp;', '&')
    const enrollmentToken = /COFFER_ENROLLMENT_TOKEN='([^']+)'/.exec(commandText)?.[1]
    assert.isString(enrollmentToken, 'the install command shows the enrollment token')

    // A volume written continuously by a running container.
    await docker().createVolume({ Name: volumeName })
    const writer = await startWriterContainer(docker(), containerName, volumeName)
    const mountpoint = (await docker().getVolume(volumeName).inspect()).Mountpoint
    await waitFor('the writer to seed the volume', async () =>
      (await readFile(join(mountpoint, '.seeded')).catch(() => null)) ? true : undefined
    )
    // The writer keeps appending to log.txt, and folder times change with it.
    const skipLog = {
      skipPath: (path: string) => path === '"log.txt"',
      ignore: (path: string, field: string) => path === '"."' && field === 'mtime',
    }
    const seeded = await treeDigest(mountpoint)

    // The agent enrolls, heartbeats and reports the volume.
    agent = await startAgentProcess({
      controllerUrl: browser.baseUrl,
      enrollmentToken: enrollmentToken!,
      dockerSocket: DOCKER_SOCKET,
      trustedKeys: signing.publicKey,
      localDestinationRoot: destinationRoot,
    })
    const resource = await waitFor(`the agent to report volume ${volumeName}`, async () => {
      return (await Resource.query().where('name', volumeName).first()) ?? undefined
    })

    // A local destination with the tar engine, encrypted.
    await browser.get('/destinations/create')
    const destination = await browser.post('/destinations', {
      'name': 'Local backups',
      'kind': 'local',
      'engineId': 'coffer/tar',
      'localPath': join(destinationRoot, 'coffer'),
      'engineOptions[compression]': 'zstd',
      'engineOptions[encryption]': 'true',
    })
    assert.match(
      destination.location ?? '',
      /^\/destinations\/[0-9a-f-]{36}$/,
      destination.text.slice(0, 500)
    )
    const destinationId = destination.location!.split('/').pop()!

    // Back up now, with the agent held still until the page watches the job's channel.
    agent.child.kill('SIGSTOP')
    await browser.get(`/resources/${resource.id}`)
    const backup = await browser.post(`/resources/${resource.id}/backups`, { destinationId })
    const backupJobId = jobIdFrom(backup.location)
    await browser.get(`/jobs/${backupJobId}`)
    const channel = await watchChannel(browser, `jobs/${backupJobId}`)
    agent.child.kill('SIGCONT')

    const backupJob = await waitForJob(backupJobId, agent)
    await new Promise((resolve) => setTimeout(resolve, 500))
    await channel.close()
    assert.equal(backupJob.status, 'succeeded', JSON.stringify(backupJob.error))
    assert.isAbove(channel.messages.filter((message) => message.type === 'log').length, 0)
    assert.isTrue(
      channel.messages.some((message) => message.type === 'state' && message.status === 'succeeded')
    )

    const writerState = (await writer.inspect()).State
    assert.isTrue(writerState.Running)
    assert.isFalse(writerState.Paused)

    const snapshot = await Snapshot.findOrFail(backupJob.payload.snapshotId)
    assert.equal(snapshot.status, 'succeeded')
    assert.isAbove(snapshot.artifacts.length, 0)

    // Browse the snapshot's files.
    await browser.get(`/snapshots/${snapshot.id}`)
    const browse = await browser.post(`/snapshots/${snapshot.id}/browse`, {})
    const browseJob = await waitForJob(jobIdFrom(browse.location), agent)
    assert.equal(browseJob.status, 'succeeded', JSON.stringify(browseJob.error))
    const snapshotPage = await browser.get(`/snapshots/${snapshot.id}`)
    assert.include(snapshotPage.text, 'docs/nested/second.txt')

    // Download one file.
    const extract = await browser.post(`/snapshots/${snapshot.id}/extract`, {
      path: 'docs/hello.txt',
    })
    const extractJob = await waitForJob(jobIdFrom(extract.location), agent)
    assert.equal(extractJob.status, 'succeeded', JSON.stringify(extractJob.error))
    const download = await browser.stream(
      `/jobs/${extractJob.id}/download`,
      new AbortController().signal
    )
    assert.equal(download.status, 200)
    const workFolder = await mkdtemp(join(tmpdir(), 'coffer-e2e-download-'))
    await writeFile(join(workFolder, 'download.tar'), Buffer.from(await download.arrayBuffer()))
    await run('tar', ['-xf', join(workFolder, 'download.tar'), '-C', workFolder])
    const { stdout: found } = await run('find', [workFolder, '-name', 'hello.txt'])
    assert.equal(await readFile(found.trim(), 'utf8'), 'hello from coffer\n')
    await rm(workFolder, { recursive: true, force: true })

    // Damage the volume, then restore it in place.
    await run('sh', [
      '-c',
      `rm "${mountpoint}/docs/hello.txt" && echo new > "${mountpoint}/added.txt" && chmod 0600 "${mountpoint}/docs/nested/second.txt"`,
    ])
    await browser.get(`/snapshots/${snapshot.id}/restore`)
    const restore = await browser.post(`/snapshots/${snapshot.id}/restore`, { confirm: volumeName })
    const restoreJob = await waitForJob(jobIdFrom(restore.location), agent)
    assert.equal(restoreJob.status, 'succeeded', JSON.stringify(restoreJob.error))

    const restored = await treeDigest(mountpoint)
    assert.deepEqual(compareTrees(seeded, restored, skipLog), [])
    const afterRestore = (await writer.inspect()).State
    assert.isTrue(afterRestore.Running, 'the writer runs again after the restore')

    const randomBefore = createHash('sha256')
      .update(await readFile(join(mountpoint, 'random.bin')))
      .digest('hex')
    assert.equal(seeded.entries.get('random.bin')?.sha256, randomBefore)
  }).timeout(300_000)
})
