import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EngineContext, LogLevel } from '@coffer/sdk'
import { LocalStorage } from '@coffer/sdk'

/** A scratch folder with a LocalStorage, a work folder and a context factory for engine calls. */
export interface Sandbox {
  root: string
  storage: LocalStorage
  logs: { level: LogLevel; message: string }[]
  context(options?: Record<string, unknown>): EngineContext
  cleanup(): Promise<void>
}

/** Creates a sandbox under the system temp folder. */
export async function createSandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'coffer-tar-test-'))
  await mkdir(join(root, 'storage'))
  const storage = new LocalStorage(join(root, 'storage'))
  const logs: { level: LogLevel; message: string }[] = []
  let calls = 0

  return {
    root,
    storage,
    logs,
    context(options = {}) {
      const workDir = join(root, `work-${calls++}`)
      execFileSync('mkdir', ['-p', '-m', '700', workDir])
      return {
        storage,
        options,
        workDir,
        signal: new AbortController().signal,
        log: (level, message) => logs.push({ level, message }),
        progress: () => {},
      }
    },
    async cleanup() {
      await storage.close()
      await rm(root, { recursive: true, force: true })
    },
  }
}

/** Returns a fresh random encryption key option value. */
export function randomKey(): string {
  return randomBytes(32).toString('base64')
}

/** Runs a shell command and returns its stdout. */
export function sh(command: string): string {
  return execFileSync('bash', ['-c', command], { encoding: 'utf8' })
}

const TREE_SCRIPT = new URL('./fixtures/tree.py', import.meta.url).pathname

/** Creates the corpus of hard volume content in `folder`. */
export function makeCorpus(folder: string): void {
  execFileSync('python3', [TREE_SCRIPT, 'make', folder])
}

/** Returns the digest lines of every entry under `folder` (see fixtures/tree.py). */
export function treeDigest(folder: string): string[] {
  return execFileSync('python3', [TREE_SCRIPT, 'digest', folder], { encoding: 'utf8' })
    .trim()
    .split('\n')
}
