import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import engine from '../src/index.js'
import { createSandbox, sh, type Sandbox } from './helpers.js'

let sandbox: Sandbox
let volume: string

beforeAll(async () => {
  sandbox = await createSandbox()
  volume = join(sandbox.root, 'volume')
  sh(`mkdir ${volume} && for i in 1 2 3 4; do head -c 100000000 /dev/urandom > ${volume}/f$i; done`)
})

afterAll(async () => sandbox?.cleanup())

test('cancelled backup stores nothing', async () => {
  const controller = new AbortController()
  const context = {
    ...sandbox.context({ compression: 'gzip', level: 9 }),
    signal: controller.signal,
  }
  const backup = engine.backup(context, {
    snapshotId: 'cancelled',
    source: { kind: 'path', path: volume },
    tags: {},
  })
  setTimeout(() => controller.abort(), 300)

  await expect(backup).rejects.toMatchObject({ code: 'CANCELLED' })
  expect(await sandbox.storage.list('snapshots/cancelled/')).toEqual([])
  expect(await engine.listSnapshots(sandbox.context())).toEqual([])
})
