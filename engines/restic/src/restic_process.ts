import { spawn } from 'node:child_process'
import { constants as osConstants } from 'node:os'
import { createInterface } from 'node:readline'
import { CofferError } from '@coffer/sdk'

/** Exit codes of `restic backup` that still produce a snapshot. */
export const EXIT_INCOMPLETE = 3

/** Stderr is kept up to this many characters (the end of it), for error messages. */
const STDERR_LIMIT = 16_384

/** Time between SIGINT (restic removes its lock) and SIGKILL when a call is cancelled. */
const KILL_DELAY_MS = 10_000

/** How to start one restic command. */
export interface ResticCall {
  binary: string
  args: string[]
  /** The whole environment of the child: nothing else from the parent is passed on. */
  env: Record<string, string>
  cwd?: string
  signal?: AbortSignal
  /** Receives each line of standard output, without the line break. */
  onLine?: (line: string) => void
}

/** Exit code and error output of a finished restic command. */
export interface ResticOutput {
  exitCode: number
  /** The last `STDERR_LIMIT` characters of standard error. */
  stderr: string
}

/**
 * Runs restic and resolves with its exit code and standard error, whatever the exit code.
 * Cancelling through `signal` sends SIGINT, then SIGKILL, and rejects with code `CANCELLED`.
 */
export function runRestic(call: ResticCall): Promise<ResticOutput> {
  if (call.signal?.aborted) {
    return Promise.reject(cancelled(call.args))
  }

  return new Promise((resolve, reject) => {
    const child = spawn(call.binary, call.args, {
      cwd: call.cwd,
      env: call.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })

    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_LIMIT)
    })

    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity })
    lines.on('line', (line) => call.onLine?.(line))
    const stdoutClosed = new Promise<void>((done) => lines.once('close', () => done()))

    let killTimer: NodeJS.Timeout | undefined
    const onAbort = () => {
      child.kill('SIGINT')
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_DELAY_MS)
    }
    call.signal?.addEventListener('abort', onAbort, { once: true })

    child.once('error', (error) => {
      call.signal?.removeEventListener('abort', onAbort)
      reject(
        new CofferError(
          'INTERNAL',
          `could not start restic at "${call.binary}": ${error.message}. Install restic or set RESTIC_BINARY to its path`,
          { cause: error }
        )
      )
    })

    child.once('close', async (code, signalName) => {
      call.signal?.removeEventListener('abort', onAbort)
      clearTimeout(killTimer)
      await stdoutClosed

      if (call.signal?.aborted) {
        reject(cancelled(call.args))
        return
      }

      resolve({ exitCode: code ?? exitCodeOfSignal(signalName), stderr })
    })
  })
}

/** Runs restic and returns every line of standard output; see `runRestic`. */
export async function runResticCollect(
  call: Omit<ResticCall, 'onLine'>
): Promise<ResticOutput & { lines: string[] }> {
  const lines: string[] = []
  const output = await runRestic({ ...call, onLine: (line) => lines.push(line) })
  return { ...output, lines }
}

/** Parses one line of `--json` output; returns null for lines that are not JSON objects. */
export function parseJsonLine(line: string): Record<string, unknown> | null {
  const trimmed = line.trim()
  if (!trimmed.startsWith('{')) {
    return null
  }

  try {
    return JSON.parse(trimmed) as Record<string, unknown>
  } catch {
    return null
  }
}

function cancelled(args: string[]): CofferError {
  return new CofferError('CANCELLED', `restic ${args[0] ?? ''} was cancelled`)
}

/** Returns the shell's exit code for a process ended by a signal: 128 plus the signal number. */
function exitCodeOfSignal(signalName: NodeJS.Signals | null): number {
  if (signalName === null) {
    return 1
  }

  return 128 + (osConstants.signals[signalName] ?? 0)
}
