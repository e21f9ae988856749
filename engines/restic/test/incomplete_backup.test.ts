import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { createResticEngine } from '../src/index.js'
import {
  makeContext,
  makeLocalStorage,
  makeTempDir,
  randomPassword,
  removeAll,
  resticBinary,
} from './helpers.js'

afterAll(removeAll)

/**
 * Returns a restic binary that cannot read other users' mode-000 files. As root, that is a
 * wrapper dropping the capabilities that bypass file permissions (setpriv from util-linux).
 */
async function restrictedBinary(): Promise<string> {
  const binary = resticBinary()
  if (process.getuid?.() !== 0) {
    return binary
  }

  const folder = await makeTempDir('bin')
  const wrapper = path.join(folder, 'restic')
  const script = `#!/bin/sh\nexec setpriv --bounding-set=-dac_override,-dac_read_search -- '${binary}' "$@"\n`
  await fs.writeFile(wrapper, script, { mode: 0o755 })
  return wrapper
}

test('unreadable file marks snapshot incomplete', async () => {
  const engine = createResticEngine({ binary: await restrictedBinary() })
  const { storage } = await makeLocalStorage()
  const password = randomPassword()
  const volume = await makeTempDir('volume')
  await fs.writeFile(path.join(volume, 'readable.txt'), 'readable\n')
  await fs.mkdir(path.join(volume, 'folder'))
  await fs.writeFile(path.join(volume, 'folder/secret.txt'), 'unreadable\n', { mode: 0o000 })
  await fs.chown(path.join(volume, 'folder/secret.txt'), 4321, 4321)

  const result = await engine.backup(await makeContext(storage, password), {
    snapshotId: 'snap-incomplete',
    source: { kind: 'path', path: volume },
    tags: {},
  })

  const codes = result.warnings.map((warning) => warning.code)
  expect(codes).toContain('UNREADABLE')
  expect(codes).toContain('INCOMPLETE_SNAPSHOT')
  const unreadable = result.warnings.find((warning) => warning.code === 'UNREADABLE')
  expect(unreadable?.path).toBe('folder/secret.txt')
  expect(unreadable?.message).toMatch(/EACCES/)

  const snapshots = await engine.listSnapshots(await makeContext(storage, password))
  expect(snapshots).toHaveLength(1)
  expect(snapshots[0]?.id).toBe('snap-incomplete')
  expect(snapshots[0]?.engineSnapshotId).toBe(result.snapshot.engineSnapshotId)
  expect(snapshots[0]?.tags).toEqual({ 'coffer-incomplete': 'true' })

  const files = await engine.listFiles(await makeContext(storage, password), {
    snapshot: result.snapshot,
  })
  expect(files.map((entry) => entry.path).sort()).toEqual(['folder', 'readable.txt'])
})
