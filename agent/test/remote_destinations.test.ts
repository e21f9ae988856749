import { randomBytes, randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { JobDestination, VolumeSnapshot } from '../src/controller/api_types.js'
import { AgentFixture } from './helpers/agent_fixture.js'
import { describeTree, DockerFixture } from './helpers/docker.js'
import { requireServiceEnv } from './helpers/services.js'

const CONTENT =
  'mkdir -p /data/db && head -c 300000 /dev/urandom > /data/db/table && echo v1 > /data/version'

async function sftpDestination(): Promise<JobDestination> {
  return {
    id: 'sftp-destination',
    kind: 'sftp',
    config: {
      host: requireServiceEnv('SFTP_HOST', 'sftp'),
      port: Number(requireServiceEnv('SFTP_PORT', 'sftp')),
      username: requireServiceEnv('SFTP_USER', 'sftp'),
      path: `${requireServiceEnv('SFTP_ROOT', 'sftp')}/agent-${randomBytes(4).toString('hex')}`,
      hostKey: (await readFile(requireServiceEnv('SFTP_HOST_KEY_FILE', 'sftp'), 'utf8')).trim(),
    },
    secrets: { privateKey: await readFile(requireServiceEnv('SFTP_KEY_FILE', 'sftp'), 'utf8') },
  }
}

async function s3Destination(): Promise<JobDestination> {
  return {
    id: 's3-destination',
    kind: 's3',
    config: {
      bucket: requireServiceEnv('S3_BUCKET', 's3'),
      region: requireServiceEnv('S3_REGION', 's3'),
      endpoint: requireServiceEnv('S3_ENDPOINT', 's3'),
      prefix: `agent-${randomBytes(4).toString('hex')}/`,
      caCertificate: await readFile(requireServiceEnv('S3_CA_FILE', 's3'), 'utf8'),
    },
    secrets: {
      accessKeyId: requireServiceEnv('S3_ACCESS_KEY_ID', 's3'),
      secretAccessKey: requireServiceEnv('S3_SECRET_ACCESS_KEY', 's3'),
    },
  }
}

describe('agent with remote destinations', () => {
  let fixture: AgentFixture
  let docker: DockerFixture

  beforeAll(async () => {
    docker = new DockerFixture()
    fixture = new AgentFixture()
    await fixture.start()
    await fixture.startAgent()
  })

  afterAll(async () => {
    await fixture?.stop()
    await docker?.cleanup()
  })

  test.each([
    ['sftp', sftpDestination],
    ['s3', s3Destination],
  ])('%s backup and restore round trip', async (kind, makeDestination) => {
    const destination = await makeDestination()
    const volume = await docker.createVolume(`remote-${kind}`)
    expect(await docker.runOnce([`${volume}:/data`], CONTENT)).toBe(0)
    const mountpoint = await docker.mountpoint(volume)
    const original = await describeTree(mountpoint)

    const backupJob = fixture.job('backup', {
      snapshotId: randomUUID(),
      tags: {},
      resource: { name: 'db', liveMode: false, volumes: [{ type: 'volume', name: volume }] },
    })
    const backup = await fixture.controller.completion(
      fixture.controller.queueJob({ ...backupJob, destination })
    )
    expect(backup.error).toBeUndefined()
    expect(backup.status).toBe('succeeded')
    const entry = (backup.result!.snapshots as VolumeSnapshot[])[0]
    expect(entry.stats.bytesStored).toBe(entry.snapshot.artifacts[0].size)

    expect(
      await docker.runOnce([`${volume}:/data`], 'rm -r /data/db && echo v2 > /data/version')
    ).toBe(0)
    const restoreJob = fixture.job('restore', {
      snapshot: entry.snapshot,
      volume: { type: 'volume', name: volume },
      mode: 'replace',
    })
    const restore = await fixture.controller.completion(
      fixture.controller.queueJob({ ...restoreJob, destination })
    )

    expect(restore.error).toBeUndefined()
    expect(await describeTree(mountpoint)).toEqual(original)
  })
})
