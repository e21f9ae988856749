import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { access, mkdtemp, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { compareTrees, treeDigest } from '@coffer/sdk'
import { waitFor } from '#tests/helpers/agent_process'
import { BrowserSession } from '#tests/helpers/browser_session'
import {
  removeDockerObjects,
  startWriterContainer,
  testDocker,
} from '#tests/helpers/docker_fixtures'
import { jobIdFrom, registerAdmin } from '#tests/helpers/e2e_setup'
import {
  commandUnderHeading,
  expectJobSucceeded,
  linkedId,
  waitForPanelJob,
} from '#tests/helpers/panel_pages'
import { runGroupProcess, startGroupProcess, type GroupProcess } from '#tests/helpers/process_group'
import { readmeShellCommands, type ReadmeCommand } from '#tests/helpers/readme_commands'
import { serviceEnv } from '#tests/smoke/service_env'

const run = promisify(execFile)

/** CI runs these itself before the test suites, so the walkthrough does not run them again. */
const COMMANDS_RUN_BY_CI = ['npm run setup', 'npm test']

const DEV_SERVER_COMMAND = 'npm run dev'

/** The section of README.md whose commands prepare the walkthrough, run in their order. */
const TRY_IT_SECTION = 'Try it: back up a Docker volume on this machine'

/** Commands of the "Try it" section that the later steps depend on. */
const REQUIRED_TRY_IT_COMMANDS = ['npm run build --workspaces', 'node ace engines:sign-local']

/** The heading of the install command that step 3 of README.md instructs the user to run. */
const LOCAL_COMMAND_HEADING = 'On this machine, from the repository'

/**
 * Splits README.md's shell commands into the ones to run before the panel starts and the
 * command that starts the panel. Throws when a command the walkthrough needs is missing, or
 * when the README has a command this test does not know how to follow.
 */
function planWalkthrough(commands: ReadmeCommand[]) {
  const texts = commands.map((entry) => entry.command)
  const missing = [...REQUIRED_TRY_IT_COMMANDS, DEV_SERVER_COMMAND].filter(
    (command) => !texts.includes(command)
  )
  if (missing.length > 0) {
    throw new Error(
      `README.md has no sh block with ${missing.map((command) => `"${command}"`).join(', ')}. ` +
        `Found: ${JSON.stringify(texts)}. Update README.md or this test so they match.`
    )
  }

  const preparation = commands
    .filter((entry) => entry.section === TRY_IT_SECTION)
    .map((entry) => entry.command)
  const absent = REQUIRED_TRY_IT_COMMANDS.filter((command) => !preparation.includes(command))
  if (absent.length > 0) {
    throw new Error(
      `README.md section "${TRY_IT_SECTION}" no longer lists ${absent.join(', ')} in an sh block`
    )
  }

  const known = new Set([...COMMANDS_RUN_BY_CI, DEV_SERVER_COMMAND, ...preparation])
  const unknown = commands.filter((entry) => !known.has(entry.command))
  if (unknown.length > 0) {
    throw new Error(
      `README.md has commands this test does not run: ${unknown
        .map((entry) => `"${entry.command}" (section "${entry.section}")`)
        .join(', ')}. Make tests/e2e/readme_walkthrough.spec.ts follow them.`
    )
  }

  return { preparation, devServer: DEV_SERVER_COMMAND }
}

/** Returns a TCP port that is free on 127.0.0.1 right now. */
async function freePort() {
  const server = createServer()
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', done)
  })
  const address = server.address()
  await new Promise((done) => server.close(done))
  if (address === null || typeof address === 'string') {
    throw new Error('Could not read the port of a probe server')
  }
  return address.port
}

/** Returns the value of `NAME=value` in a shell command, without quotes. */
function settingOf(command: string, name: string) {
  const value = new RegExp(`\\b${name}=('[^']*'|\\S+)`).exec(command)?.[1]
  if (value === undefined) {
    throw new Error(`The agent command sets no ${name}:\n${command}`)
  }
  return value.replace(/^'|'$/g, '')
}

/** Returns the id of a form's redirect to `/<collection>/<uuid>`. Throws with the page text otherwise. */
function redirectId(result: { location: string | null; text: string }, collection: string) {
  const id = new RegExp(`^/${collection}/([0-9a-f-]{36})$`).exec(result.location ?? '')?.[1]
  if (!id) {
    throw new Error(
      `Expected a redirect to /${collection}/<id>, got ${result.location}: ${result.text.slice(0, 1000)}`
    )
  }
  return id
}

function pathExists(path: string) {
  return access(path).then(
    () => true,
    () => false
  )
}

test.group('README walkthrough: its commands, run as written', (group) => {
  group.each.timeout(600_000)

  const repositoryRoot = app.makePath()
  const suffix = randomBytes(4).toString('hex')
  const volumeName = `coffer-walkthrough-${suffix}`
  const containerName = `coffer-walkthrough-writer-${suffix}`
  const copyVolumeName = `coffer-walkthrough-copy-${suffix}`

  let scratchFolder = ''
  let devServer: GroupProcess | undefined
  let agent: GroupProcess | undefined
  /** Folders the agent command writes to, mapped to where a developer's own copy was moved. */
  const agentFolders = new Map<string, string | null>()
  let destinationFolder = ''
  let destinationRoot = ''
  let destinationRootExisted = true

  group.teardown(async () => {
    await agent?.stop()
    await devServer?.stop()
    if (process.env.DOCKER_SOCKET) {
      await removeDockerObjects(testDocker(), [containerName], [volumeName, copyVolumeName])
    }

    for (const [folder, movedTo] of agentFolders) {
      await rm(folder, { recursive: true, force: true })
      if (movedTo) {
        await rename(movedTo, folder)
      }
    }
    if (destinationFolder) {
      await rm(destinationFolder, { recursive: true, force: true })
    }
    // rmdir leaves the folder when someone else put files there meanwhile.
    if (!destinationRootExisted) {
      await rmdir(destinationRoot).catch(() => {})
    }
    if (scratchFolder) {
      await rm(scratchFolder, { recursive: true, force: true })
    }
  })

  test('walkthrough from setup to restore', async ({ assert }) => {
    try {
      const { DOCKER_SOCKET } = serviceEnv('docker', ['DOCKER_SOCKET', 'COFFER_TEST_IMAGE'])
      const readme = await readFile(join(repositoryRoot, 'README.md'), 'utf8')
      const plan = planWalkthrough(readmeShellCommands(readme))
      assert.include(readme, LOCAL_COMMAND_HEADING, 'README.md step 3 names the agent command')

      // A panel of its own: a free port and a fresh database. The environment is built here,
      // so none of the test runner's variables (SESSION_DRIVER=memory and others) reach the
      // commands, and the rest comes from .env as for a user.
      const port = await freePort()
      const baseUrl = `http://127.0.0.1:${port}`
      scratchFolder = await mkdtemp(join(tmpdir(), 'coffer-walkthrough-'))
      const panelEnv = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/root',
        NODE_ENV: 'development',
        HOST: '127.0.0.1',
        PORT: String(port),
        APP_URL: baseUrl,
        DB_CONNECTION: 'sqlite',
        SQLITE_PATH: join(scratchFolder, 'coffer.sqlite3'),
      }
      const inRepository = { cwd: repositoryRoot, env: panelEnv }

      // `npm run setup` migrates tmp/coffer.sqlite3, and this runs the same step on the fresh file.
      await runGroupProcess('node ace migration:run --force', {
        ...inRepository,
        timeoutMs: 120_000,
      })

      let signingOutput = ''
      for (const command of plan.preparation) {
        const output = await runGroupProcess(command, { ...inRepository, timeoutMs: 300_000 })
        if (command === 'node ace engines:sign-local') {
          signingOutput = output
        }
      }
      const localPublisherKey = /ed25519:[A-Za-z0-9+/=]+/.exec(signingOutput)?.[0]
      assert.isString(localPublisherKey, `engines:sign-local prints the key:\n${signingOutput}`)

      devServer = startGroupProcess(plan.devServer, inRepository)
      const exitedEarly = devServer.exited.then((code) => {
        throw new Error(`"${plan.devServer}" exited with status ${code} before it responded`)
      })
      exitedEarly.catch(() => {})
      await Promise.race([
        exitedEarly,
        waitFor(
          `"${plan.devServer}" to respond on ${baseUrl}`,
          async () => {
            const response = await fetch(baseUrl, { redirect: 'manual' }).catch(() => null)
            return response ? true : undefined
          },
          120_000
        ),
      ])
      const browser = new BrowserSession(baseUrl)

      // Step 2: the first visit offers to register the admin.
      await registerAdmin(browser)

      // engines:sign-local accepted the key and registered the bundles.
      const engines = await browser.get('/engines')
      assert.include(engines.text, 'coffer/tar')
      assert.include(engines.text, '<span class="badge ok">accepted</span>')

      // Step 3: a Docker host without Coolify, and its install command.
      await browser.get('/instances/create')
      const created = await browser.post('/instances', { name: 'this machine', kind: 'docker' })
      const instanceId = redirectId(created, 'instances')
      await browser.get(`/instances/${instanceId}`)
      const reveal = await browser.post(`/instances/${instanceId}/enrollment-token`, {})
      assert.equal(reveal.response.status, 200, reveal.text.slice(0, 500))
      const agentCommand = commandUnderHeading(reveal.text, LOCAL_COMMAND_HEADING)
      assert.include(agentCommand, 'npm run agent')
      assert.notInclude(agentCommand, 'sudo')
      assert.include(agentCommand, `COFFER_TRUSTED_KEYS=${localPublisherKey}`)
      assert.include(agentCommand, `COFFER_CONTROLLER_URL=${baseUrl}`)

      // A volume that a running container keeps writing to.
      const docker = testDocker()
      await docker.createVolume({ Name: volumeName })
      const writer = await startWriterContainer(docker, containerName, volumeName)
      const mountpoint = (await docker.getVolume(volumeName).inspect()).Mountpoint
      await waitFor('the writer container to seed the volume', async () =>
        (await pathExists(join(mountpoint, '.seeded'))) ? true : undefined
      )

      // The command writes to folders in tmp/ that a developer may use for their own agent.
      // The test moves them aside here and puts them back in the teardown.
      for (const name of ['COFFER_STATE_DIR', 'COFFER_WORK_DIR']) {
        const folder = resolve(repositoryRoot, settingOf(agentCommand, name))
        const movedTo = `${folder}.before-walkthrough-${suffix}`
        const existed = await pathExists(folder)
        if (existed) {
          await rename(folder, movedTo)
        }
        agentFolders.set(folder, existed ? movedTo : null)
      }
      destinationRoot = settingOf(agentCommand, 'COFFER_LOCAL_DESTINATION_ROOT')
      destinationRootExisted = await pathExists(destinationRoot)
      destinationFolder = join(destinationRoot, `coffer-walkthrough-${suffix}`)

      // The page's command, unchanged. The test daemon's socket reaches the agent through the
      // shell's environment, as the machine's own socket would.
      agent = startGroupProcess(agentCommand, {
        cwd: repositoryRoot,
        env: {
          PATH: panelEnv.PATH,
          HOME: panelEnv.HOME,
          COFFER_DOCKER_SOCKET: DOCKER_SOCKET,
        },
      })
      const agentExited = agent.exited.then((code) => {
        throw new Error(`The agent command exited with status ${code}`)
      })
      agentExited.catch(() => {})

      await Promise.race([
        agentExited,
        waitFor(
          'the agent to appear online on the Agents page',
          async () => {
            const agents = await browser.get('/agents')
            return agents.text.includes('<span class="badge ok">online</span>') ? true : undefined
          },
          120_000
        ),
      ])
      const resourceId = await Promise.race([
        agentExited,
        waitFor(
          `volume ${volumeName} on the Resources page`,
          async () => {
            const resources = await browser.get(`/resources?q=${volumeName}`)
            return linkedId(resources.text, 'resources', volumeName)
          },
          120_000
        ),
      ])

      // Step 4: a local folder with the coffer/tar engine, then Test.
      await browser.get('/destinations/create')
      const destination = await browser.post('/destinations', {
        name: 'Local folder',
        kind: 'local',
        engineId: 'coffer/tar',
        localPath: destinationFolder,
      })
      const destinationId = redirectId(destination, 'destinations')
      await browser.get(`/destinations/${destinationId}`)
      const tested = await browser.post(`/destinations/${destinationId}/test`, {})
      assert.equal(tested.location, `/destinations/${destinationId}`)
      const testedPage = await browser.get(`/destinations/${destinationId}`)
      assert.match(testedPage.text, /Test passed in \d+ ms\./)

      // Step 5: Back up now, from the volume's page.
      const seeded = await treeDigest(mountpoint)
      await browser.get(`/resources/${resourceId}`)
      const backup = await browser.post(`/resources/${resourceId}/backups`, { destinationId })
      const backupJobId = jobIdFrom(backup.location)
      const backupJob = await waitForPanelJob(browser, backupJobId)
      expectJobSucceeded(backupJobId, backupJob)
      assert.isAbove(backupJob.events.filter((event) => event.type === 'log').length, 0)
      const backupPage = await browser.get(`/jobs/${backupJobId}`)
      const snapshotId = linkedId(backupPage.text, 'snapshots')
      assert.isString(snapshotId, 'the job page links to its snapshot')

      // Step 6, on the snapshot page: Browse files.
      await browser.get(`/snapshots/${snapshotId}`)
      const browse = await browser.post(`/snapshots/${snapshotId}/browse`, {})
      const browseJobId = jobIdFrom(browse.location)
      expectJobSucceeded(browseJobId, await waitForPanelJob(browser, browseJobId))
      const listing = await browser.get(`/snapshots/${snapshotId}`)
      assert.include(listing.text, 'docs/nested/second.txt')

      // Download one file as a tar archive.
      const extract = await browser.post(`/snapshots/${snapshotId}/extract`, {
        path: 'docs/hello.txt',
      })
      const extractJobId = jobIdFrom(extract.location)
      expectJobSucceeded(extractJobId, await waitForPanelJob(browser, extractJobId))
      const download = await browser.stream(
        `/jobs/${extractJobId}/download`,
        new AbortController().signal
      )
      assert.equal(download.status, 200)
      const archivePath = join(scratchFolder, 'download.tar')
      await writeFile(archivePath, Buffer.from(await download.arrayBuffer()))
      const { stdout: extracted } = await run('tar', [
        '-xOf',
        archivePath,
        '--wildcards',
        '*hello.txt',
      ])
      assert.equal(extracted, 'hello from coffer\n')

      // The writer keeps appending to log.txt, and the root folder's time changes with it.
      const unchangedSinceBackup = {
        skipPath: (path: string) => path === '"log.txt"',
        ignore: (path: string, field: string) => path === '"."' && field === 'mtime',
      }

      // Restore into a new volume, which leaves the original and its container alone.
      await browser.get(`/snapshots/${snapshotId}/restore`)
      const copy = await browser.post(`/snapshots/${snapshotId}/restore`, {
        target: 'new-volume',
        newVolume: copyVolumeName,
      })
      const copyJobId = jobIdFrom(copy.location)
      expectJobSucceeded(copyJobId, await waitForPanelJob(browser, copyJobId))
      const copyMountpoint = (await docker.getVolume(copyVolumeName).inspect()).Mountpoint
      const copied = await treeDigest(copyMountpoint)
      assert.deepEqual(compareTrees(seeded, copied, unchangedSinceBackup), [])

      // Restore in place after changing the volume.
      await run('sh', [
        '-c',
        'rm "$1/docs/hello.txt" && echo new > "$1/added.txt" && chmod 0600 "$1/docs/nested/second.txt"',
        'sh',
        mountpoint,
      ])
      await browser.get(`/snapshots/${snapshotId}/restore`)
      const restore = await browser.post(`/snapshots/${snapshotId}/restore`, {
        target: 'in-place',
        confirm: volumeName,
      })
      const restoreJobId = jobIdFrom(restore.location)
      expectJobSucceeded(restoreJobId, await waitForPanelJob(browser, restoreJobId))

      const restored = await treeDigest(mountpoint)
      assert.deepEqual(compareTrees(seeded, restored, unchangedSinceBackup), [])
      const writerState = (await writer.inspect()).State
      assert.isTrue(writerState.Running, 'the writer container runs again after the restore')
    } catch (error) {
      if (error instanceof Error) {
        error.message +=
          `\n\nLast output of "npm run dev":\n${devServer?.tail() ?? '(not started)'}` +
          `\n\nLast output of the agent command:\n${agent?.tail() ?? '(not started)'}`
      }
      throw error
    }
  })
})
