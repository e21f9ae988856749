import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import app from '@adonisjs/core/services/app'

/** A running agent started from the workspace build, as `npm run agent` starts it. */
export interface AgentProcess {
  child: ChildProcess
  stateDir: string
  output: () => string
  stop: () => Promise<void>
}

/**
 * Starts the agent (agent/dist/cli.js) against the test controller. The enrollment token goes
 * in the child's environment, never in argv. Its output is kept for failure messages.
 */
export async function startAgentProcess(options: {
  controllerUrl: string
  enrollmentToken: string
  dockerSocket: string
  trustedKeys: string
  localDestinationRoot: string
  stateDir?: string
}): Promise<AgentProcess> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'coffer-agent-state-')))
  const workDir = await mkdtemp(join(tmpdir(), 'coffer-agent-work-'))
  let output = ''

  const child = spawn(process.execPath, [app.makePath('agent/dist/cli.js')], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      COFFER_CONTROLLER_URL: options.controllerUrl,
      COFFER_ENROLLMENT_TOKEN: options.enrollmentToken,
      COFFER_STATE_DIR: stateDir,
      COFFER_WORK_DIR: workDir,
      COFFER_DOCKER_SOCKET: options.dockerSocket,
      COFFER_TRUSTED_KEYS: options.trustedKeys,
      COFFER_LOCAL_DESTINATION_ROOT: options.localDestinationRoot,
      COFFER_POLL_SECONDS: '2',
      COFFER_HEARTBEAT_SECONDS: '2',
      COFFER_CONCURRENCY: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))

  return {
    child,
    stateDir,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))])
        if (child.exitCode === null) {
          child.kill('SIGKILL')
        }
      }
      await rm(workDir, { recursive: true, force: true })
    },
  }
}

/** Polls `check` every 250 ms until it returns a value other than undefined, or times out. */
export async function waitFor<T>(
  description: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await check()
    if (value !== undefined) {
      return value
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`)
}
