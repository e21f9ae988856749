import { execFile, spawn } from 'node:child_process'
import {
  access,
  chmod,
  chown,
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { PassThrough } from 'node:stream'
import { finished } from 'node:stream/promises'
import { promisify } from 'node:util'
import type Docker from 'dockerode'
import { waitFor } from '#tests/helpers/agent_process'

const run = promisify(execFile)

/** User and group id of `postgres` inside the image, and owner of the data folder. */
export const POSTGRES_UID = 999

/** Mount point of the data folder volume inside the PostgreSQL containers. */
export const PGDATA = '/pgdata'

/** Folder of the server's unix socket inside the containers (the containers have no network). */
const SOCKET_DIR = '/tmp'

/** An image made from this machine's PostgreSQL binaries. */
export interface PostgresImage {
  tag: string
  binDir: string
}

/** Programs copied into the image. initdb runs the `postgres` found in its own folder. */
const PROGRAMS = ['postgres', 'initdb', 'psql', 'pg_isready']

/** Server modules that initdb loads (PL/pgSQL and the Snowball text search dictionaries). */
const MODULES = ['plpgsql.so', 'dict_snowball.so']

/**
 * Finds the machine's PostgreSQL programs: the newest /usr/lib/postgresql/<version>/bin (Debian's
 * layout), or the folder that /usr/local/bin/postgres links to.
 */
export async function findPostgresBinDir() {
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[])
  const candidates = versions
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => `/usr/lib/postgresql/${version}/bin`)
  const linked = await run('readlink', ['-f', '/usr/local/bin/postgres']).catch(() => null)
  if (linked) {
    candidates.push(dirname(linked.stdout.trim()))
  }

  for (const binDir of candidates) {
    const present = await access(join(binDir, 'postgres')).then(
      () => true,
      () => false
    )
    if (present) {
      return binDir
    }
  }
  throw new Error(
    'PostgreSQL server programs not found in /usr/lib/postgresql/*/bin or /usr/local/bin: install Debian postgresql-15'
  )
}

/** Lists the shared libraries an executable needs, including the dynamic loader, as ldd prints them. */
async function sharedLibraries(file: string) {
  const { stdout } = await run('ldd', [file])
  return [...stdout.matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)].map((match) => match[1])
}

/** Copies a file to the same absolute path under `rootfs`, following symbolic links. */
async function copyInto(rootfs: string, file: string) {
  const target = join(rootfs, file)
  await mkdir(dirname(target), { recursive: true })
  await copyFile(file, target)
}

/**
 * Writes a root filesystem with the PostgreSQL programs, the modules initdb loads, their shared
 * libraries (from ldd), the share folder, the time zone database, static busybox for `sh`, and
 * a `postgres` user. The empty data folder is owned by that user with mode 0700, because Docker
 * copies the ownership of the image's folder onto an empty volume mounted there.
 */
async function writeRootfs(rootfs: string, binDir: string) {
  const pgConfig = join(binDir, 'pg_config')
  const shareDir = (await run(pgConfig, ['--sharedir'])).stdout.trim()
  const moduleDir = (await run(pgConfig, ['--pkglibdir'])).stdout.trim()

  const executables = [
    ...PROGRAMS.map((name) => join(binDir, name)),
    ...MODULES.map((name) => join(moduleDir, name)),
  ]
  const libraries = new Set<string>()
  for (const file of executables) {
    await copyInto(rootfs, file)
    for (const library of await sharedLibraries(file)) {
      libraries.add(library)
    }
  }
  for (const library of libraries) {
    await copyInto(rootfs, library)
  }

  await cp(shareDir, join(rootfs, shareDir), { recursive: true, verbatimSymlinks: true })
  await cp('/usr/share/zoneinfo', join(rootfs, 'usr/share/zoneinfo'), {
    recursive: true,
    verbatimSymlinks: true,
  })

  const busybox = '/bin/busybox'
  const dynamic = await run('ldd', [busybox]).then(
    () => true,
    () => false
  )
  if (dynamic) {
    throw new Error(`${busybox} is dynamically linked: install Debian's busybox-static`)
  }
  await copyInto(rootfs, busybox)
  for (const applet of (await run(busybox, ['--list'])).stdout.split('\n').filter(Boolean)) {
    if (applet !== 'busybox') {
      await symlink('busybox', join(rootfs, 'bin', applet)).catch(() => {})
    }
  }

  await mkdir(join(rootfs, 'etc'), { recursive: true })
  await writeFile(
    join(rootfs, 'etc/passwd'),
    `root:x:0:0:root:/root:/bin/sh\npostgres:x:${POSTGRES_UID}:${POSTGRES_UID}:postgres:/tmp:/bin/sh\n`
  )
  await writeFile(join(rootfs, 'etc/group'), `root:x:0:\npostgres:x:${POSTGRES_UID}:\n`)
  await mkdir(join(rootfs, 'tmp'))
  await chmod(join(rootfs, 'tmp'), 0o1777)
  await mkdir(join(rootfs, PGDATA))
  await chown(join(rootfs, PGDATA), POSTGRES_UID, POSTGRES_UID)
  await chmod(join(rootfs, PGDATA), 0o700)
}

/**
 * Builds an image from this machine's PostgreSQL binaries with `docker import` (no registry),
 * tagged `tag`. Needs root, to give the data folder to the postgres user.
 */
export async function buildPostgresImage(docker: Docker, tag: string): Promise<PostgresImage> {
  const binDir = await findPostgresBinDir()
  const rootfs = await mkdtemp(join(tmpdir(), 'coffer-pg-rootfs-'))
  try {
    await writeRootfs(rootfs, binDir)

    const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const tarExit = new Promise<number | null>((resolve) => tar.once('close', resolve))
    const [repo, version] = tag.split(':')
    const progress = await docker.importImage(tar.stdout as any, { repo, tag: version })
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(progress, (error: Error | null, events: any[]) => {
        const failed = events?.find((event) => event.error)
        if (error || failed) {
          reject(new Error(`docker import of ${tag} failed: ${error?.message ?? failed.error}`))
          return
        }
        resolve()
      })
    })
    const tarCode = await tarExit
    if (tarCode !== 0) {
      throw new Error(`tar of the PostgreSQL root filesystem ${rootfs} exited with ${tarCode}`)
    }
    await docker.getImage(tag).inspect()
    return { tag, binDir }
  } finally {
    await rm(rootfs, { recursive: true, force: true })
  }
}

/** Runs a command in a running container and returns its exit code and output. */
export async function execInContainer(
  container: Docker.Container,
  cmd: string[],
  user = 'postgres'
) {
  const exec = await container.exec({
    Cmd: cmd,
    User: user,
    AttachStdout: true,
    AttachStderr: true,
  })
  const stream = await exec.start({ hijack: true, stdin: false })
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] }
  stdout.on('data', (chunk) => chunks.stdout.push(chunk))
  stderr.on('data', (chunk) => chunks.stderr.push(chunk))
  container.modem.demuxStream(stream, stdout, stderr)
  await finished(stream)

  const { ExitCode } = await exec.inspect()
  return {
    exitCode: ExitCode ?? -1,
    stdout: Buffer.concat(chunks.stdout).toString(),
    stderr: Buffer.concat(chunks.stderr).toString(),
  }
}

/** Runs SQL through psql over the unix socket, stopping at the first error; returns its output. */
export async function psql(container: Docker.Container, image: PostgresImage, sql: string) {
  const result = await execInContainer(container, [
    join(image.binDir, 'psql'),
    '-h',
    SOCKET_DIR,
    '-U',
    'postgres',
    '-v',
    'ON_ERROR_STOP=1',
    '-A',
    '-t',
    '-c',
    sql,
  ])
  if (result.exitCode !== 0) {
    throw new Error(
      `psql exited with ${result.exitCode} on ${JSON.stringify(sql)}: ${result.stderr}`
    )
  }
  return result.stdout.trim()
}

/** Runs initdb into an empty volume, in a container without network, as the postgres user. */
export async function initPostgresVolume(docker: Docker, image: PostgresImage, volume: string) {
  const container = await docker.createContainer({
    Image: image.tag,
    User: 'postgres',
    Env: ['TZ=UTC'],
    Cmd: [
      join(image.binDir, 'initdb'),
      '-D',
      PGDATA,
      '--auth=trust',
      '--username=postgres',
      '--encoding=UTF8',
      '--locale=C',
    ],
    HostConfig: { NetworkMode: 'none', Binds: [`${volume}:${PGDATA}`] },
    Labels: { 'coffer.test': 'e2e' },
  })
  try {
    await container.start()
    const { StatusCode } = await container.wait()
    if (StatusCode !== 0) {
      const logs = await container.logs({ stdout: true, stderr: true })
      throw new Error(`initdb into volume ${volume} exited with ${StatusCode}: ${logs.toString()}`)
    }
  } finally {
    await container.remove({ force: true })
  }
}

/**
 * Starts a PostgreSQL server on the data folder in `volume`, in a container without network
 * that listens on a unix socket only, and waits until it accepts queries.
 */
export async function startPostgresContainer(
  docker: Docker,
  image: PostgresImage,
  name: string,
  volume: string
) {
  const container = await docker.createContainer({
    name,
    Image: image.tag,
    User: 'postgres',
    Env: ['TZ=UTC'],
    Cmd: [
      join(image.binDir, 'postgres'),
      '-D',
      PGDATA,
      '-k',
      SOCKET_DIR,
      '-c',
      'listen_addresses=',
    ],
    StopTimeout: 30,
    HostConfig: { NetworkMode: 'none', Binds: [`${volume}:${PGDATA}`] },
    Labels: { 'coffer.test': 'e2e' },
  })
  await container.start()

  try {
    await waitFor(
      `PostgreSQL in container ${name} to accept queries`,
      async () => {
        const state = (await container.inspect()).State
        if (!state.Running) {
          throw new Error(`container ${name} exited with ${state.ExitCode}`)
        }
        const probe = await execInContainer(container, [
          join(image.binDir, 'pg_isready'),
          '-h',
          SOCKET_DIR,
          '-q',
        ])
        return probe.exitCode === 0 ? true : undefined
      },
      30_000
    )
  } catch (error) {
    const logs = await container.logs({ stdout: true, stderr: true }).catch(() => '')
    throw new Error(`${(error as Error).message}\nServer log:\n${logs.toString().slice(-3000)}`)
  }
  return container
}

/** Shuts the server down cleanly (SIGTERM, a smart shutdown) and removes its container. */
export async function removePostgresContainer(docker: Docker, name: string) {
  const container = docker.getContainer(name)
  await container.stop({ t: 30 }).catch(() => {})
  await container.remove({ force: true }).catch(() => {})
}
