import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import type { EngineWarning } from '@coffer/sdk'
import { CofferError } from '@coffer/sdk'

/** The GNU tar executable; the manifest declares it in `permissions.processes`. */
export const TAR_BINARY = 'tar'

/** Arguments of `tar --create` for a volume: pax format, xattrs, ACLs, sparse files, numeric ids. */
export function createArguments(path: string): string[] {
  return [
    '--create',
    '--file=-',
    '--format=posix',
    '--sparse',
    '--xattrs',
    '--xattrs-include=*',
    '--acls',
    '--numeric-owner',
    // 64 KiB records match the pipe's read size; the default 10 KiB records cost more reads.
    '--blocking-factor=128',
    // atime and ctime change on every read; leaving them out keeps pax headers small.
    '--pax-option=delete=atime,delete=ctime',
    `--directory=${path}`,
    '.',
  ]
}

/** Arguments of `tar --extract` into a fresh staging folder, keeping owners, modes and xattrs. */
export function extractArguments(directory: string): string[] {
  return [
    '--extract',
    '--file=-',
    '--numeric-owner',
    '--same-owner',
    '--preserve-permissions',
    '--xattrs',
    '--xattrs-include=*',
    '--acls',
    '--delay-directory-restore',
    `--directory=${directory}`,
  ]
}

/** A running GNU tar with its stderr collected. */
export interface TarProcess {
  child: ChildProcessByStdio<Writable | null, Readable | null, Readable>
  /** Resolves with the exit code once the process has exited and stderr is read. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
}

// Lines of stderr kept for warnings and error messages.
const MAX_STDERR = 1024 * 1024

/** Starts GNU tar with the C locale, so its messages have a stable form. */
export function startTar(
  args: string[],
  stdin: 'pipe' | 'ignore',
  stdout: 'pipe' | 'ignore'
): TarProcess {
  const child = spawn(TAR_BINARY, args, {
    stdio: [stdin, stdout, 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
  }) as TarProcess['child']

  let stderr = ''
  child.stderr.setEncoding('latin1')
  child.stderr.on('data', (text: string) => {
    if (stderr.length < MAX_STDERR) {
      stderr += text
    }
  })

  const exited = new Promise<{
    code: number | null
    signal: NodeJS.Signals | null
    stderr: string
  }>((resolve, reject) => {
    child.on('error', (error) => {
      reject(
        new CofferError(
          'INTERNAL',
          `failed to start ${TAR_BINARY}: ${error.message}; install GNU tar`,
          { cause: error }
        )
      )
    })
    child.on('close', (code, signal) => resolve({ code, signal, stderr }))
  })
  exited.catch(() => {})

  return { child, exited }
}

/**
 * Converts GNU tar's stderr lines into warnings. Lines look like `tar: ./name: message`; the name
 * is returned without its `./` prefix.
 */
export function parseTarWarnings(stderr: string): EngineWarning[] {
  const warnings: EngineWarning[] = []

  for (const line of stderr.split('\n')) {
    if (!line.startsWith('tar: ')) {
      continue
    }

    const text = line.slice(5)
    const match = /^(.*): ([^:]+)$/.exec(text)
    const message = match ? match[2] : text
    const warning: EngineWarning = { code: warningCode(message), message: text }
    if (match) {
      const path = match[1].replace(/^\.\/?/, '')
      warning.path = Buffer.from(path, 'latin1').toString('utf8')
    }
    warnings.push(warning)
  }

  return warnings
}

function warningCode(message: string): string {
  if (message.includes('file changed as we read it')) {
    return 'FILE_CHANGED'
  }

  if (message.includes('socket ignored')) {
    return 'SOCKET_SKIPPED'
  }

  if (message.includes('removed before we read it') || message.includes('Cannot stat')) {
    return 'FILE_VANISHED'
  }

  return 'TAR_WARNING'
}

/**
 * Reports the version of GNU tar, which the engine runs for every backup and restore. Rejects with
 * `UNSUPPORTED` when tar is missing or is not GNU tar.
 */
export async function describeTools(): Promise<{ tools: Record<string, string> }> {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      TAR_BINARY,
      ['--version'],
      { env: { LC_ALL: 'C', PATH: process.env.PATH } },
      (error, stdout) =>
        error
          ? reject(
              new CofferError(
                'UNSUPPORTED',
                `cannot run ${TAR_BINARY} --version: ${error.message}; install GNU tar`
              )
            )
          : resolve(stdout)
    )
  })
  const version = /^tar \(GNU tar\) (\S+)/.exec(output)?.[1]
  if (!version) {
    throw new CofferError(
      'UNSUPPORTED',
      `${TAR_BINARY} is not GNU tar (it printed "${output.split('\n')[0]}"); install GNU tar`
    )
  }

  return { tools: { tar: version } }
}
