import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const AGENT_ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The agent's command running from source in a child process, with its output collected. */
export interface AgentProcess {
  child: ChildProcess
  output: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts `coffer-agent` from src/cli.ts (through a TypeScript loader) with only `env` and PATH. */
export function spawnAgent(env: NodeJS.ProcessEnv, args: string[] = []): AgentProcess {
  const child = spawn(process.execPath, ['--import=@poppinss/ts-exec', 'src/cli.ts', ...args], {
    cwd: AGENT_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })

  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal }))
  )

  return { child, output: () => output, exited }
}
