import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createHostileLayout, hostileCases } from '@coffer/sdk'
import type { HostileCase, HostileKind, RestoreMode } from '@coffer/sdk'
import { createResticEngine } from '../src/index.js'
import { encodeTag, SNAPSHOT_TAG } from '../src/tags.js'
import type { FakeResticScenario } from './fake_restic.js'
import { hostileListing, hostileRestoreOutput, KEPT_FILE, ROOT_NAME } from './hostile_listing.js'
import { makeContext, makeLocalStorage, makeTempDir, randomPassword, removeAll } from './helpers.js'

afterAll(removeAll)

const fakeRestic = path.join(import.meta.dirname, 'fake_restic.ts')

/** Writes a scenario and a wrapper that runs the fake restic on it, and returns the wrapper. */
async function writeFakeRestic(hostileCase: HostileCase, argsLog: string): Promise<string> {
  const folder = await makeTempDir('fake-restic')
  const output = hostileRestoreOutput(hostileCase)
  const scenario: FakeResticScenario = {
    snapshot: {
      id: 'f'.repeat(64),
      time: '2026-01-01T00:00:00Z',
      paths: [`/volumes/${ROOT_NAME}`],
      tags: [encodeTag(SNAPSHOT_TAG, 'hostile')],
    },
    lsLines: hostileListing(hostileCase),
    restoredFiles: { [KEPT_FILE]: 'kept\n' },
    restoreStderr: output.stderr,
    restoreExitCode: output.exitCode,
    argsLog,
  }
  const scenarioPath = path.join(folder, 'scenario.json')
  await fs.writeFile(scenarioPath, JSON.stringify(scenario))

  const wrapper = path.join(folder, 'restic')
  await fs.writeFile(
    wrapper,
    `#!/bin/sh\nexec '${process.execPath}' '${fakeRestic}' '${scenarioPath}' "$@"\n`,
    { mode: 0o755 }
  )
  return wrapper
}

const kinds: HostileKind[] = ['dotdot', 'absolute', 'through-symlink', 'folder-replaced-by-link']
const modes: RestoreMode[] = ['merge', 'replace']

/** The filter arguments of `restic restore` for each kind, after `--target <folder>`. */
const EXPECTED_FILTERS: Partial<Record<HostileKind, string[]>> = {
  'dotdot': [],
  'absolute': [],
  'through-symlink': ['--exclude', `/${ROOT_NAME}/link`],
  'folder-replaced-by-link': ['--exclude', `/${ROOT_NAME}/dir`],
}

describe('restore of hostile listings', () => {
  for (const kind of kinds) {
    for (const mode of modes) {
      test(`${kind} rejected, ${mode}`, async () => {
        const layout = await createHostileLayout(await makeTempDir(`hostile-${kind}`))
        const hostileCase = hostileCases(layout).find((candidate) => candidate.kind === kind)!
        const argsLog = path.join(await makeTempDir('args'), 'restore.jsonl')
        const engine = createResticEngine({ binary: await writeFakeRestic(hostileCase, argsLog) })
        const { storage } = await makeLocalStorage()

        const result = await engine.restore(await makeContext(storage, randomPassword()), {
          snapshot: { id: 'hostile', artifacts: [] },
          target: layout.target,
          mode,
        })

        const rejected = result.rejected.map((entry) => entry.path)
        for (const member of hostileCase.expectRejected) {
          expect(rejected).toContain(member)
        }
        expect(await fs.readFile(path.join(layout.target, KEPT_FILE), 'utf8')).toBe('kept\n')

        // restic rejects the dotdot and absolute names itself, and the others need a pattern.
        const args = JSON.parse((await fs.readFile(argsLog, 'utf8')).trim()) as string[]
        const filter = args.slice(args.indexOf('--target') + 2)
        expect(filter).toEqual(EXPECTED_FILTERS[kind])
      })
    }
  }

  test('chosen paths all rejected', async () => {
    const layout = await createHostileLayout(await makeTempDir('hostile-chosen'))
    const hostileCase = hostileCases(layout).find(
      (candidate) => candidate.kind === 'folder-replaced-by-link'
    )!
    const argsLog = path.join(await makeTempDir('args'), 'restore.jsonl')
    const engine = createResticEngine({ binary: await writeFakeRestic(hostileCase, argsLog) })
    const { storage } = await makeLocalStorage()

    const result = await engine.restore(await makeContext(storage, randomPassword()), {
      snapshot: { id: 'hostile', artifacts: [] },
      target: layout.target,
      paths: ['dir/replaced.txt'],
      mode: 'merge',
    })
    expect(result.rejected.map((entry) => entry.path).sort()).toEqual(['dir', 'dir/replaced.txt'])
    expect(await fs.readdir(layout.target)).toEqual([])
    await expect(fs.access(argsLog)).rejects.toThrow()
  })
})
