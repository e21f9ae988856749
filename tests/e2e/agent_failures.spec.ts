import { createPrivateKey, randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import {
  formatSignature,
  generateSigningKey,
  packBundle,
  readTar,
  signBundle,
  type EngineManifest,
} from '@coffer/sdk'
import Engine from '#models/engine'
import Job from '#models/job'
import PublisherKey from '#models/publisher_key'
import { registerBundle } from '#services/engines/register_bundle'
import { readFile } from 'node:fs/promises'
import { bundleFilePath } from '#services/engines/engine_store'
import { waitFor, type AgentProcess } from '#tests/helpers/agent_process'
import { removeDockerObjects, testDocker, testImage } from '#tests/helpers/docker_fixtures'
import {
  addLocalDestination,
  jobIdFrom,
  makeDestinationRoot,
  preparePanel,
  startTestAgent,
  waitForVolumeResource,
} from '#tests/helpers/e2e_setup'

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

test.group('End to end: agent crashes and untrusted engines', (group) => {
  const suffix = randomBytes(4).toString('hex')
  const volumeName = `coffer-e2e-big-${suffix}`
  const containerName = `coffer-e2e-big-writer-${suffix}`
  const agents: AgentProcess[] = []
  let destinationRoot = ''

  group.teardown(async () => {
    for (const agent of agents) {
      agent.child.kill('SIGCONT')
      await agent.stop()
    }
    await removeDockerObjects(testDocker(), [containerName], [volumeName])
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

  test('SIGKILL during a backup leaves no paused container', async ({ assert }) => {
    const docker = testDocker()
    const panel = await preparePanel()
    destinationRoot = await makeDestinationRoot()

    // A volume large enough that the copy takes a few seconds, written by a running container.
    await docker.createVolume({ Name: volumeName })
    const writer = await docker.createContainer({
      name: containerName,
      Image: testImage(),
      Cmd: [
        'sh',
        '-c',
        '[ -f /data/big.bin ] || dd if=/dev/urandom of=/data/big.bin bs=1M count=300 2>/dev/null; while true; do date >> /data/log.txt; sleep 0.2; done',
      ],
      HostConfig: { NetworkMode: 'none', Binds: [`${volumeName}:/data`] },
    })
    await writer.start()
    const mountpoint = (await docker.getVolume(volumeName).inspect()).Mountpoint
    await waitFor('the writer to fill the volume', async () => {
      const { stdout } = await import('node:child_process').then(({ execFileSync }) => ({
        stdout: execFileSync('du', ['-sm', mountpoint]).toString(),
      }))
      return Number.parseInt(stdout, 10) >= 300 ? true : undefined
    })

    const first = await startTestAgent(panel, destinationRoot)
    agents.push(first)
    const resource = await waitForVolumeResource(volumeName)
    const destinationId = await addLocalDestination(
      panel.browser,
      'Local',
      'coffer/tar',
      `${destinationRoot}/coffer`,
      { compression: 'zstd', level: '19', encryption: 'true' }
    )

    await panel.browser.get(`/resources/${resource.id}`)
    const backup = await panel.browser.post(`/resources/${resource.id}/backups`, { destinationId })
    const jobId = jobIdFrom(backup.location)

    // Kill the agent while the writer is paused for the copy.
    await waitFor(
      'the agent to pause the writer',
      async () => ((await writer.inspect()).State.Paused ? true : undefined),
      60_000
    )
    first.child.kill('SIGKILL')
    await new Promise((resolve) => first.child.once('exit', resolve))
    assert.isTrue(
      (await writer.inspect()).State.Paused,
      'the writer stays paused while no agent runs'
    )

    // The restarted agent resumes what it paused, before anything else.
    const second = await startTestAgent(panel, destinationRoot, first.stateDir)
    agents.push(second)
    await waitFor(
      'the restarted agent to unpause the writer',
      async () => ((await writer.inspect()).State.Paused ? undefined : true),
      30_000
    )
    assert.isTrue((await writer.inspect()).State.Running)

    // The controller fails the job when its lease runs out.
    const job = await waitFor(
      'the controller to fail the job',
      async () => {
        const current = await Job.findOrFail(jobId)
        return current.isFinal ? current : undefined
      },
      60_000
    )
    assert.equal(job.status, 'failed')
    assert.equal(job.error?.code, 'LEASE_EXPIRED', JSON.stringify(job.error))
  }).timeout(240_000)

  test('agent refuses a bundle signed by a key it does not trust', async ({ assert }) => {
    // The controller accepts a newer tar bundle signed by a key the agent host never pinned.
    const trusted = await Engine.query()
      .where('engine_id', 'coffer/tar')
      .where('status', 'accepted')
      .firstOrFail()
    const files = new Map(
      readTar(await readFile(bundleFilePath(trusted))).map((file) => [file.name, file.data])
    )
    const manifest = JSON.parse(files.get('engine.json')!.toString()) as EngineManifest
    files.delete('engine.json')
    const source: Partial<EngineManifest> = { ...manifest, version: '0.1.1' }
    delete source.files
    const packed = packBundle(source as Omit<EngineManifest, 'files'>, files)
    const rogueKey = generateSigningKey()
    await PublisherKey.create({
      name: 'Other publisher',
      keyId: rogueKey.publicKey.keyId,
      publicKey: rogueKey.publicKey.text,
    })
    const rogue = await registerBundle(
      packed.bytes,
      formatSignature(signBundle(packed.bytes, createPrivateKey(rogueKey.privateKeyPem))),
      'upload'
    )
    assert.equal(rogue.status, 'accepted', 'the controller itself accepts the key')

    const resource = await (
      await import('#models/resource')
    ).default.findByOrFail('name', volumeName)
    const destination = await (await import('#models/destination')).default.firstOrFail()
    const { startBackup } = await import('#services/backups/start_backup')
    const [job] = await startBackup(resource, destination, 'test')

    const ended = await waitFor(
      'the agent to refuse the bundle',
      async () => {
        const current = await Job.findOrFail(job.id)
        return current.isFinal ? current : undefined
      },
      60_000
    )
    assert.equal(ended.status, 'failed')
    assert.include(JSON.stringify(ended.error), 'UNKNOWN_KEY')

    const recorded = await waitFor(
      'the refusal to reach the controller',
      async () => {
        const engine = await Engine.findOrFail(rogue.id)
        return engine.agentRefusals?.length ? engine : undefined
      },
      30_000
    )
    assert.equal(recorded.agentRefusals![0].code, 'UNKNOWN_KEY')
    assert.include(recorded.agentRefusals![0].reason, rogueKey.publicKey.keyId)
  }).timeout(120_000)
})
