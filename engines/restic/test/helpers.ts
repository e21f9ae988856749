import { execFileSync } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { LocalStorage } from '@coffer/sdk'
import type { EngineContext, LogLevel, Progress, Storage } from '@coffer/sdk'

/** Returns the restic binary under test: RESTIC_BINARY, else `restic` on PATH. */
export function resticBinary(): string {
  const binary = process.env.RESTIC_BINARY ?? 'restic'
  try {
    execFileSync(binary, ['version'], { stdio: 'ignore' })
  } catch {
    throw new Error(
      `restic is not runnable as "${binary}": install it (apt-get install restic) or set RESTIC_BINARY`
    )
  }

  return binary
}

/** A log line an engine call wrote through its context. */
export interface LoggedLine {
  level: LogLevel
  message: string
  fields?: Record<string, unknown>
}

/** An engine context on `storage`, with a fresh workDir and captured logs. */
export interface TestContext extends EngineContext {
  logs: LoggedLine[]
  progressEvents: Progress[]
}

/** Creates a private temporary folder that `removeAll` deletes. */
export async function makeTempDir(label: string): Promise<string> {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), `coffer-restic-${label}-`))
  created.push(folder)
  return folder
}

const created: string[] = []

/** Deletes every folder `makeTempDir` created. */
export async function removeAll(): Promise<void> {
  for (const folder of created.splice(0)) {
    await fs.rm(folder, { recursive: true, force: true })
  }
}

/** Returns a random repository password as the host generates it (32 bytes, base64). */
export function randomPassword(): string {
  return randomBytes(32).toString('base64')
}

/** Builds a context for one engine call. */
export async function makeContext(storage: Storage, password: string): Promise<TestContext> {
  const workDir = await makeTempDir('work')
  const logs: LoggedLine[] = []
  const progressEvents: Progress[] = []
  return {
    storage,
    options: { repositoryPassword: password },
    workDir,
    signal: new AbortController().signal,
    log: (level, message, fields) => logs.push({ level, message, fields }),
    progress: (progress) => progressEvents.push(progress),
    logs,
    progressEvents,
  }
}

/** Creates a LocalStorage on a fresh folder. */
export async function makeLocalStorage(): Promise<{ storage: LocalStorage; root: string }> {
  const root = await makeTempDir('storage')
  return { storage: new LocalStorage(root), root }
}

/**
 * Reads variables a test service exports; throws naming the service to start when one is
 * missing, so no test is skipped silently.
 */
export function requireEnv<const Name extends string>(
  service: string,
  names: Name[]
): Record<Name, string> {
  const values = {} as Record<Name, string>
  for (const name of names) {
    const value = process.env[name]
    if (value === undefined || value === '') {
      throw new Error(
        `${name} is not set: start the ${service} test service (scripts/services/${service}.sh start) and source $COFFER_SERVICES_DIR/${service}.env`
      )
    }
    values[name] = value
  }

  return values
}

/** A wrapper around restic that records the arguments of every call. */
export interface ResticSpy {
  /** Path of the wrapper, to pass as the engine's `binary`. */
  binary: string
  /** Returns the arguments of each call so far, in order. */
  calls(): Promise<string[][]>
}

/** Writes a wrapper script that records its arguments, then runs `binary` with them. */
export async function writeResticSpy(binary: string): Promise<ResticSpy> {
  const folder = await makeTempDir('spy')
  const log = path.join(folder, 'calls')
  const wrapper = path.join(folder, 'restic')
  // Each argument ends with the unit separator (0x1f) and each call with a line break.
  await fs.writeFile(
    wrapper,
    `#!/bin/sh\nfor argument in "$@"; do printf '%s\\037' "$argument"; done >> '${log}'\necho >> '${log}'\nexec '${binary}' "$@"\n`,
    { mode: 0o755 }
  )

  return {
    binary: wrapper,
    calls: async () => {
      const text = await fs.readFile(log, 'utf8').catch(() => '')
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split('\x1f').slice(0, -1))
    },
  }
}
