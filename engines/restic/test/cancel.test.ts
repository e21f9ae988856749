import fs from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, expect, test } from 'vitest'
import { isCofferError } from '@coffer/sdk'
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

test('aborted backup is cancelled', async () => {
  const engine = createResticEngine({ binary: resticBinary() })
  const { storage, root } = await makeLocalStorage()
  const volume = await makeTempDir('volume')
  const file = await fs.open(path.join(volume, 'random.bin'), 'w')
  for (let index = 0; index < 64; index++) {
    await file.write(randomBytes(4 * 1024 * 1024))
  }
  await file.close()

  const context = await makeContext(storage, randomPassword())
  const controller = new AbortController()
  context.signal = controller.signal
  context.progress = () => controller.abort()

  const error = await engine
    .backup(context, {
      snapshotId: 'snap-cancel',
      source: { kind: 'path', path: volume },
      tags: {},
    })
    .catch((caught) => caught)
  expect(isCofferError(error, 'CANCELLED')).toBe(true)

  // restic removes its own lock when it is interrupted with SIGINT.
  expect(await fs.readdir(path.join(root, 'repository/locks'))).toEqual([])
})
