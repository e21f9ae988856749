import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { BackupResult, LocalStorage } from '@coffer/sdk'
import { createResticEngine } from '../src/index.js'
import {
  makeContext,
  makeLocalStorage,
  makeTempDir,
  randomPassword,
  removeAll,
  resticBinary,
} from './helpers.js'

const engine = createResticEngine({ binary: resticBinary() })
const password = randomPassword()
let storage: LocalStorage
let storageRoot: string
let backup: BackupResult

beforeAll(async () => {
  ;({ storage, root: storageRoot } = await makeLocalStorage())
  const volume = await makeTempDir('volume')
  // Random bytes do not compress, so the data pack is far larger than the tree pack.
  await fs.writeFile(path.join(volume, 'random.bin'), randomBytes(3 * 1024 * 1024))
  backup = await engine.backup(await makeContext(storage, password), {
    snapshotId: 'verify-1',
    source: { kind: 'path', path: volume },
    tags: {},
  })
})

afterAll(removeAll)

/** Returns the largest pack file of the repository, which contains the file's data. */
async function largestPack(): Promise<{ file: string; size: number }> {
  const dataFolder = path.join(storageRoot, 'repository/data')
  let largest = { file: '', size: -1 }
  for (const entry of await fs.readdir(dataFolder, { recursive: true })) {
    const file = path.join(dataFolder, entry)
    const stats = await fs.stat(file)
    if (stats.isFile() && stats.size > largest.size) {
      largest = { file, size: stats.size }
    }
  }

  return largest
}

describe('restic verify', () => {
  test('corrupt pack found by data level only', async () => {
    const pack = await largestPack()
    expect(pack.size).toBeGreaterThan(1024 * 1024)

    // Flip one byte in the middle of the pack. Its size, which `restic check` compares with the
    // index, stays the same.
    const bytes = await fs.readFile(pack.file)
    const middle = Math.floor(bytes.length / 2)
    bytes[middle] = bytes[middle]! ^ 0xff
    await fs.writeFile(pack.file, bytes)

    for (const level of ['structure', 'metadata'] as const) {
      const result = await engine.verify(await makeContext(storage, password), {
        snapshot: backup.snapshot,
        level,
      })
      expect(result).toEqual({ ok: true, problems: [] })
    }

    const data = await engine.verify(await makeContext(storage, password), {
      snapshot: backup.snapshot,
      level: 'data',
    })
    expect(data.ok).toBe(false)
    expect(data.problems.join('\n')).toContain(path.basename(pack.file))
  })
})
