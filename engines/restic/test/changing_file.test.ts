import { spawn } from 'node:child_process'
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

test('file growing during backup warns', async () => {
  const engine = createResticEngine({ binary: resticBinary() })
  const { storage } = await makeLocalStorage()
  const volume = await makeTempDir('volume')
  await fs.writeFile(path.join(volume, 'steady.txt'), 'unchanged\n')
  const growing = path.join(volume, 'growing.log')
  await fs.writeFile(growing, 'start\n')

  // Appends a line every 5 ms until killed, so the file grows before, during and after the read.
  const writer = spawn('sh', ['-c', `while :; do echo line >> '${growing}'; sleep 0.005; done`], {
    stdio: 'ignore',
  })
  try {
    const result = await engine.backup(await makeContext(storage, randomPassword()), {
      snapshotId: 'snap-growing',
      source: { kind: 'path', path: volume },
      tags: {},
    })

    const changed = result.warnings.filter((warning) => warning.code === 'FILE_CHANGED')
    expect(changed.map((warning) => warning.path)).toEqual(['growing.log'])
    expect(changed[0]?.message).toMatch(/changed while it was read/)
  } finally {
    const exited = new Promise((resolve) => writer.once('exit', resolve))
    writer.kill('SIGTERM')
    await exited
  }
})
