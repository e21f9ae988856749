import { CofferError } from '@coffer/sdk'
import { runResticCollect } from './restic_process.js'

/**
 * Oldest restic release this engine runs: it is the oldest one the tests cover, and its
 * `backup`, `snapshots` and `ls` print the `--json` messages the engine parses.
 */
export const MIN_RESTIC_VERSION = '0.14.0'

/** A restic executable whose version has been checked, with the features it offers. */
export interface ResticBinary {
  path: string
  /** Version as `restic version` prints it, such as `0.14.0`. */
  version: string
  /** `restore --sparse` exists (restic 0.15.0 and later). */
  sparseRestore: boolean
  /** Exit codes 10, 11 and 12 for a missing, locked or wrong-password repository (0.17.0+). */
  exitCodes: boolean
}

const checked = new Map<string, Promise<ResticBinary>>()

/** Returns the path of the restic executable: the given one, `RESTIC_BINARY`, or `restic`. */
export function resticPath(configured?: string): string {
  return configured ?? process.env.RESTIC_BINARY ?? 'restic'
}

/**
 * Runs `restic version` once per path and rejects with code `UNSUPPORTED` when the version is
 * older than `MIN_RESTIC_VERSION` or cannot be read.
 */
export function checkResticBinary(path: string): Promise<ResticBinary> {
  let pending = checked.get(path)
  if (pending === undefined) {
    pending = readVersion(path)
    pending.catch(() => checked.delete(path))
    checked.set(path, pending)
  }

  return pending
}

async function readVersion(path: string): Promise<ResticBinary> {
  const output = await runResticCollect({
    binary: path,
    args: ['version'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  })

  const text = output.lines.join('\n')
  const match = /^restic (\d+)\.(\d+)\.(\d+)/m.exec(text)
  if (output.exitCode !== 0 || match === null) {
    throw new CofferError(
      'UNSUPPORTED',
      `could not read the version of restic at "${path}" (exit ${output.exitCode}, output "${text.trim()}"). Check that RESTIC_BINARY points at a restic executable`
    )
  }

  const version = `${match[1]}.${match[2]}.${match[3]}`
  if (compareVersions(version, MIN_RESTIC_VERSION) < 0) {
    throw new CofferError(
      'UNSUPPORTED',
      `restic ${version} at "${path}" is too old: this engine needs restic ${MIN_RESTIC_VERSION} or later. Install a newer restic or set RESTIC_BINARY to one`,
      { details: { version, minimum: MIN_RESTIC_VERSION } }
    )
  }

  return {
    path,
    version,
    sparseRestore: compareVersions(version, '0.15.0') >= 0,
    exitCodes: compareVersions(version, '0.17.0') >= 0,
  }
}

/** Compares two `major.minor.patch` versions; negative when `a` is older. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number)
  const right = b.split('.').map(Number)
  for (let index = 0; index < 3; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0)
    if (difference !== 0) {
      return difference
    }
  }

  return 0
}
