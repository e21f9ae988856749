import { spawn, type ChildProcess } from 'node:child_process'

/** Maximum number of output characters kept per process, for failure messages. */
const KEPT_OUTPUT_CHARS = 200_000

/** A shell command running in a process group of its own, with its output kept. */
export interface GroupProcess {
  child: ChildProcess
  /** The last `chars` characters of stdout and stderr, interleaved as they arrived. */
  tail: (chars?: number) => string
  /** Resolves with the shell's exit code, or null when a signal ended it. */
  exited: Promise<number | null>
  /** Sends SIGTERM to the whole group, then SIGKILL to what is left after `graceMs`. */
  stop: (graceMs?: number) => Promise<void>
}

/**
 * Starts `sh -c command` as the leader of a new process group, so that stopping it also stops
 * what the command started (npm, node, the dev server's child). The environment is exactly
 * `env`: nothing of the test process leaks into it.
 */
export function startGroupProcess(
  command: string,
  options: { cwd: string; env: Record<string, string> }
): GroupProcess {
  let output = ''
  const child = spawn('sh', ['-c', command], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-KEPT_OUTPUT_CHARS)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)

  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve(code))
  })
  // Some callers never await the exit, so a failed spawn must not become an unhandled rejection.
  exited.catch(() => {})

  return {
    child,
    tail: (chars = 4000) => output.slice(-chars),
    exited,
    stop: (graceMs = 15_000) => stopGroup(child, graceMs),
  }
}

/**
 * Runs `sh -c command` in a process group of its own until it exits. Throws when it exits with
 * another status than 0 or runs longer than `timeoutMs`, with the end of its output in the
 * message. Returns the whole kept output.
 */
export async function runGroupProcess(
  command: string,
  options: { cwd: string; env: Record<string, string>; timeoutMs: number }
) {
  const started = startGroupProcess(command, options)
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs)
  })

  const result = await Promise.race([started.exited, timedOut])
  clearTimeout(timer)
  if (result === 'timeout') {
    await started.stop()
    throw new Error(
      `"${command}" timed out after ${options.timeoutMs} ms. Output:\n${started.tail()}`
    )
  }
  if (result !== 0) {
    throw new Error(`"${command}" exited with status ${result}. Output:\n${started.tail()}`)
  }
  return started.tail(KEPT_OUTPUT_CHARS)
}

/** Checks whether any process of the group still exists. */
function groupExists(groupId: number) {
  try {
    process.kill(-groupId, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** Sends a signal to every process of the group. A group that is already gone is not an error. */
function signalGroup(groupId: number, signal: NodeJS.Signals) {
  try {
    process.kill(-groupId, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw error
    }
  }
}

async function waitForGroupExit(groupId: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (groupExists(groupId) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return !groupExists(groupId)
}

async function stopGroup(child: ChildProcess, graceMs: number) {
  const groupId = child.pid
  if (groupId === undefined || !groupExists(groupId)) {
    return
  }

  signalGroup(groupId, 'SIGTERM')
  if (await waitForGroupExit(groupId, graceMs)) {
    return
  }

  signalGroup(groupId, 'SIGKILL')
  if (!(await waitForGroupExit(groupId, 5000))) {
    throw new Error(`Process group ${groupId} is still alive after SIGKILL`)
  }
}
