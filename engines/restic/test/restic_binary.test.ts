import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { isCofferError } from '@coffer/sdk'
import { createResticEngine } from '../src/engine.js'
import { checkResticBinary, compareVersions, MIN_RESTIC_VERSION } from '../src/restic_binary.js'
import { makeTempDir, removeAll, resticBinary } from './helpers.js'

afterAll(removeAll)

/** Writes a script that prints `text` as `restic version` would. */
async function fakeRestic(text: string): Promise<string> {
  const folder = await makeTempDir('fake')
  const file = path.join(folder, 'restic')
  await fs.writeFile(file, `#!/bin/sh\necho '${text}'\n`, { mode: 0o755 })
  return file
}

describe('restic binary', () => {
  test('installed version accepted', async () => {
    const binary = await checkResticBinary(resticBinary())
    expect(compareVersions(binary.version, MIN_RESTIC_VERSION)).toBeGreaterThanOrEqual(0)
  })

  test('old version rejected', async () => {
    const error = await checkResticBinary(
      await fakeRestic('restic 0.9.6 compiled with go1.13 on linux/amd64')
    ).catch((e) => e)
    expect(isCofferError(error, 'UNSUPPORTED')).toBe(true)
    expect(error.message).toMatch(/0\.9\.6 .* too old/)
  })

  test('feature flags follow version', async () => {
    const binary = await checkResticBinary(
      await fakeRestic('restic 0.17.3 compiled with go1.22 on linux/amd64')
    )
    expect(binary.sparseRestore).toBe(true)
    expect(binary.exitCodes).toBe(true)
  })

  test('unreadable output rejected', async () => {
    const error = await checkResticBinary(await fakeRestic('something else')).catch((e) => e)
    expect(isCofferError(error, 'UNSUPPORTED')).toBe(true)
  })

  test('describe reports the version', async () => {
    const binary = await fakeRestic('restic 0.16.4 compiled with go1.21 on linux/amd64')
    const engine = createResticEngine({ binary })
    expect(await engine.describe!({} as never)).toEqual({ tools: { restic: '0.16.4' } })
  })

  test('describe rejects an old restic', async () => {
    const binary = await fakeRestic('restic 0.9.6 compiled with go1.13 on linux/amd64')
    const error = await createResticEngine({ binary }).describe!({} as never).catch((e) => e)
    expect(isCofferError(error, 'UNSUPPORTED')).toBe(true)
  })

  test('missing binary rejected', async () => {
    const error = await checkResticBinary('/nonexistent/restic').catch((e) => e)
    expect(isCofferError(error)).toBe(true)
    expect(error.message).toMatch(/RESTIC_BINARY/)
  })
})
