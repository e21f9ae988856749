import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import Docker from 'dockerode'
import { serviceEnv } from './service_env.js'

/** Extracts one file from a tar stream with the system tar and returns its content. */
async function readFileFromTar(archive: Readable, path: string): Promise<string> {
  const tar = spawn('tar', ['-xO', '-f', '-', path], { stdio: ['pipe', 'pipe', 'pipe'] })
  archive.pipe(tar.stdin)

  const chunks: Buffer[] = []
  const errors: Buffer[] = []
  tar.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
  tar.stderr.on('data', (chunk: Buffer) => errors.push(chunk))

  const code = await new Promise<number | null>((resolve, reject) => {
    tar.on('error', reject)
    tar.on('close', resolve)
  })
  if (code !== 0) {
    throw new Error(`tar failed to extract ${path} (exit ${code}): ${Buffer.concat(errors)}`)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Fetches a path from a container as a tar stream, retrying while the container creates it. */
async function getArchiveWhenPresent(container: Docker.Container, path: string) {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await container.getArchive({ path })) as unknown as Readable
    } catch (error) {
      if (attempt >= 50) {
        throw error
      }
      await sleep(200)
    }
  }
}

test.group('docker service', () => {
  test('container pause, unpause and volume archive', async ({ assert, cleanup }) => {
    const env = serviceEnv('docker', ['DOCKER_SOCKET', 'COFFER_TEST_IMAGE'])
    const docker = new Docker({ socketPath: env.DOCKER_SOCKET })

    const name = `coffer-smoke-${randomBytes(6).toString('hex')}`
    const content = `coffer smoke ${randomBytes(16).toString('hex')}`
    const volume = await docker.createVolume({ Name: name })
    assert.equal(volume.name, name)

    const container = await docker.createContainer({
      name,
      Image: env.COFFER_TEST_IMAGE,
      Env: [`CONTENT=${content}`],
      Cmd: ['sh', '-c', 'printf %s "$CONTENT" > /data/content.txt && exec sleep 300'],
      HostConfig: { NetworkMode: 'none', Binds: [`${name}:/data`] },
    })
    // The volume can be removed only after the container that uses it.
    cleanup(async () => {
      await container.remove({ force: true })
      await volume.remove()
    })
    await container.start()

    const running = await container.inspect()
    assert.isTrue(running.State.Running)
    assert.equal(running.HostConfig.NetworkMode, 'none')
    assert.equal(running.Mounts[0].Name, name)

    await container.pause()
    const paused = await container.inspect()
    assert.isTrue(paused.State.Paused)

    await container.unpause()
    const unpaused = await container.inspect()
    assert.isFalse(unpaused.State.Paused)
    assert.isTrue(unpaused.State.Running)

    const archive = await getArchiveWhenPresent(container, '/data/content.txt')
    assert.equal(await readFileFromTar(archive, 'content.txt'), content)
  }).timeout(60_000)
})
