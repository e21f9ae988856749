import { randomBytes } from 'node:crypto'
import { createHash } from 'node:crypto'
import { readdir, readFile, lstat, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import Docker from 'dockerode'
import { requireServiceEnv } from './services.js'

/** The test Docker daemon, its busybox image, and what a test created there. */
export class DockerFixture {
  readonly docker: Docker
  readonly image: string
  readonly prefix = `coffer-agent-test-${randomBytes(3).toString('hex')}`
  #containers: string[] = []
  #volumes: string[] = []

  constructor() {
    this.docker = new Docker({ socketPath: requireServiceEnv('DOCKER_SOCKET', 'docker') })
    this.image = requireServiceEnv('COFFER_TEST_IMAGE', 'docker')
  }

  /** Creates a named volume with a unique name. */
  async createVolume(suffix: string): Promise<string> {
    const name = `${this.prefix}-${suffix}`
    await this.docker.createVolume({ Name: name })
    this.#volumes.push(name)
    return name
  }

  /** Returns a unique volume name without creating it; cleanup removes the volume if a job made it. */
  volumeName(suffix: string): string {
    const name = `${this.prefix}-${suffix}`
    this.#volumes.push(name)
    return name
  }

  /** Starts a container (no network) that runs `script` with the given binds, such as `vol:/data`. */
  async startContainer(suffix: string, binds: string[], script: string): Promise<Docker.Container> {
    const container = await this.docker.createContainer({
      name: `${this.prefix}-${suffix}`,
      Image: this.image,
      Cmd: ['sh', '-c', script],
      NetworkDisabled: true,
      HostConfig: { Binds: binds, NetworkMode: 'none' },
    })
    this.#containers.push(container.id)
    await container.start()
    return container
  }

  /**
   * Starts a container that appends a counter to /data/log every 20 ms, so a copy taken while it
   * runs would see the file change.
   */
  startWriter(suffix: string, volume: string): Promise<Docker.Container> {
    return this.startContainer(
      suffix,
      [`${volume}:/data`],
      'trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo $i >> /data/log; echo $i > /data/counter; sleep 0.02; done'
    )
  }

  /** Runs a one-off container to completion and returns its exit code. */
  async runOnce(binds: string[], script: string): Promise<number> {
    const container = await this.docker.createContainer({
      Image: this.image,
      Cmd: ['sh', '-c', script],
      NetworkDisabled: true,
      HostConfig: { Binds: binds, NetworkMode: 'none' },
    })
    this.#containers.push(container.id)
    await container.start()
    const exit = (await container.wait()) as { StatusCode: number }
    return exit.StatusCode
  }

  /**
   * Records the pause, unpause, stop and start events of a container from the daemon's event
   * stream, which catches a pause too short for polling `inspect` to see.
   */
  async recordEvents(container: Docker.Container): Promise<{ events: string[]; stop(): void }> {
    const events: string[] = []
    const stream = (await this.docker.getEvents({
      filters: { container: [container.id], event: ['pause', 'unpause', 'stop', 'start', 'die'] },
    })) as NodeJS.ReadableStream & { destroy(): void }
    let buffered = ''
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines.filter((entry) => entry.trim() !== '')) {
        events.push((JSON.parse(line) as { Action: string }).Action)
      }
    })
    stream.on('error', () => {})
    return { events, stop: () => stream.destroy() }
  }

  /** Returns a container's state: running and paused flags. */
  async state(
    container: Docker.Container
  ): Promise<{ running: boolean; paused: boolean; status: string }> {
    const info = await container.inspect()
    return { running: info.State.Running, paused: info.State.Paused, status: info.State.Status }
  }

  /** Returns a volume's mount point on the host. */
  async mountpoint(volume: string): Promise<string> {
    return (await this.docker.getVolume(volume).inspect()).Mountpoint
  }

  /** Lists helper containers the agent left behind, for one job when `jobId` is given. */
  async helperContainers(jobId?: string): Promise<string[]> {
    const labels = ['coffer.helper=true']
    if (jobId !== undefined) {
      labels.push(`coffer.job=${jobId}`)
    }

    const list = await this.docker.listContainers({ all: true, filters: { label: labels } })
    return list.map((container) => container.Id)
  }

  /** Removes every container and volume this fixture created. */
  async cleanup(): Promise<void> {
    for (const id of this.#containers) {
      await this.docker
        .getContainer(id)
        .remove({ force: true })
        .catch(() => {})
    }

    for (const name of this.#volumes) {
      await this.docker
        .getVolume(name)
        .remove({ force: true })
        .catch(() => {})
    }
  }
}

/** Describes a folder tree as sorted lines "path type size sha256" (links show their target). */
export async function describeTree(root: string): Promise<string[]> {
  const lines: string[] = []

  async function walk(folder: string, relative: string): Promise<void> {
    for (const entry of (await readdir(folder)).sort()) {
      const path = join(folder, entry)
      const name = relative === '' ? entry : `${relative}/${entry}`
      const info = await lstat(path)
      if (info.isSymbolicLink()) {
        lines.push(`${name} symlink ${await readlink(path)}`)
      } else if (info.isDirectory()) {
        lines.push(`${name} dir ${(info.mode & 0o7777).toString(8)}`)
        await walk(path, name)
      } else {
        const digest = createHash('sha256')
          .update(await readFile(path))
          .digest('hex')
        lines.push(`${name} file ${(info.mode & 0o7777).toString(8)} ${info.size} ${digest}`)
      }
    }
  }

  await walk(root, '')
  return lines
}
