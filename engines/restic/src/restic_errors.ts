import { CofferError } from '@coffer/sdk'
import type { ResticBinary } from './restic_binary.js'
import type { ResticOutput } from './restic_process.js'

/** Exit codes that restic 0.17.0 and later use for repository states. */
const EXIT_REPOSITORY_MISSING = 10
const EXIT_REPOSITORY_LOCKED = 11
const EXIT_WRONG_PASSWORD = 12

/** Cause of a failed restic command, as the engine classifies it. */
export type ResticFailure =
  'missing' | 'locked' | 'lock-failed' | 'wrong-password' | 'not-found' | 'other'

/**
 * Classifies a failed restic command by its exit code (restic 0.17.0+) or, for older versions
 * and as a fallback, by the messages restic 0.14 prints on standard error.
 */
export function classifyFailure(binary: ResticBinary, output: ResticOutput): ResticFailure {
  if (binary.exitCodes) {
    if (output.exitCode === EXIT_REPOSITORY_MISSING) return 'missing'
    if (output.exitCode === EXIT_REPOSITORY_LOCKED) return 'locked'
    if (output.exitCode === EXIT_WRONG_PASSWORD) return 'wrong-password'
  }

  const text = output.stderr
  if (/wrong password or no key found/i.test(text)) return 'wrong-password'
  if (/repository is already locked/i.test(text)) return 'locked'
  // restic prints this for any failure to write its lock file, such as a permission or storage
  // error. Only the message above means that another process has the repository locked.
  if (/unable to create lock/i.test(text)) return 'lock-failed'
  if (/Is there a repository at the following location|repository does not exist/i.test(text)) {
    return 'missing'
  }
  if (/unable to open config file/i.test(text)) return 'missing'
  if (/no matching ID found|invalid id|no snapshot matched|unable to load snapshot/i.test(text)) {
    return 'not-found'
  }

  return 'other'
}

/** Builds the error for a failed restic command, with a message that names the next step. */
export function resticError(
  binary: ResticBinary,
  repository: string,
  command: string,
  output: ResticOutput
): CofferError {
  const failure = classifyFailure(binary, output)
  const details = { repository, command, exitCode: output.exitCode }
  const stderr = lastLines(output.stderr)

  if (failure === 'wrong-password') {
    return new CofferError(
      'WRONG_PASSWORD',
      `the repository password does not open the restic repository at ${repository}. Restore the destination's original repositoryPassword; Coffer never re-initialises an existing repository`,
      { details }
    )
  }

  if (failure === 'locked') {
    return new CofferError(
      'REPOSITORY_LOCKED',
      `the restic repository at ${repository} is locked by another running restic process (${stderr}). Wait for it to finish and retry; stale locks are removed automatically`,
      { details }
    )
  }

  if (failure === 'lock-failed') {
    return new CofferError(
      'STORAGE',
      `restic ${command} could not create its lock file in the repository at ${repository}: ${stderr}. Check that the destination accepts writes (permissions, free space, connection) and retry`,
      { details }
    )
  }

  if (failure === 'missing') {
    return new CofferError(
      'REPOSITORY_MISSING',
      `no restic repository exists at ${repository}. Run a backup to create one, or check the destination's folder`,
      { details }
    )
  }

  if (failure === 'not-found') {
    return new CofferError(
      'NOT_FOUND',
      `restic ${command} found no such snapshot in ${repository}: ${stderr}`,
      {
        details,
      }
    )
  }

  return new CofferError(
    'INTERNAL',
    `restic ${command} failed on ${repository} with exit code ${output.exitCode}: ${stderr || 'no error output'}`,
    { details }
  )
}

/**
 * Returns the last few non-empty lines of restic's error output, joined for a message. Go stack
 * frames and restic's retry notices are left out, so the lines that remain name the failure.
 */
export function lastLines(text: string, count = 4): string {
  const raw = text.split('\n')
  const lines: string[] = []
  for (let index = 0; index < raw.length; index++) {
    // restic 0.14 prints a stack frame as a function name, then a tab-indented file and line.
    if (raw[index + 1]?.startsWith('\t')) {
      index++
      continue
    }

    const line = raw[index]!.trim()
    if (line.length > 0 && !RETRY_NOTICE.test(line)) {
      lines.push(line)
    }
  }

  return lines.slice(-count).join(' / ')
}

/** restic's notice before it retries a backend request; the final error follows it. */
const RETRY_NOTICE = /returned error, retrying after/
