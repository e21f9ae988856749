import { writeFileSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import engine from '../src/index.js'
import { createSandbox, makeCorpus, randomKey, sh, treeDigest, type Sandbox } from './helpers.js'

const configurations = [
  {
    name: 'zstd encrypted',
    options: { compression: 'zstd', encryption: true, encryptionKey: randomKey(), blockSizeMiB: 1 },
  },
  { name: 'gzip', options: { compression: 'gzip' } },
  {
    name: 'none encrypted',
    options: { compression: 'none', encryption: true, encryptionKey: randomKey() },
  },
]

let sandbox: Sandbox
let volume: string
let expected: string[]

beforeAll(async () => {
  sandbox = await createSandbox()
  volume = join(sandbox.root, 'volume')
  makeCorpus(volume)
  expected = treeDigest(volume)
})

afterAll(async () => sandbox?.cleanup())

describe.each(configurations)('round trip $name', ({ name, options }) => {
  test('restore replace and merge', async () => {
    const snapshotId = name.replace(/ /g, '-')
    const backup = await engine.backup(sandbox.context(options), {
      snapshotId,
      source: { kind: 'path', path: volume },
      tags: { resource: 'r1' },
    })
    expect(backup.warnings.map((warning) => warning.code)).toEqual(['SOCKET_SKIPPED'])
    expect(backup.warnings[0].path).toBe('socket')

    const target = join(sandbox.root, `target-${snapshotId}`)
    sh(`mkdir ${target}`)
    const result = await engine.restore(sandbox.context(options), {
      snapshot: backup.snapshot,
      target,
      mode: 'replace',
    })
    expect(result.rejected).toEqual([])
    expect(treeDigest(target)).toEqual(expected)

    writeFileSync(join(target, 'added-later'), 'extra')
    chmodSync(join(target, 'zero'), 0o777)
    sh(`rm -rf ${target}/hl/b`)
    const again = await engine.restore(sandbox.context(options), {
      snapshot: backup.snapshot,
      target,
      mode: 'replace',
    })
    expect(again.leftInPlace).toEqual([])
    expect(treeDigest(target)).toEqual(expected)

    writeFileSync(join(target, 'added-later'), 'extra')
    const merged = await engine.restore(sandbox.context(options), {
      snapshot: backup.snapshot,
      target,
      mode: 'merge',
    })
    expect(merged.leftInPlace).toEqual(['added-later'])
    sh(`rm ${target}/added-later`)
    // The root line is left out: removing added-later changed the root's mtime.
    expect(treeDigest(target).slice(1)).toEqual(expected.slice(1))

    for (const level of ['structure', 'metadata', 'data'] as const) {
      const verdict = await engine.verify(sandbox.context(options), {
        snapshot: backup.snapshot,
        level,
      })
      expect(verdict).toEqual({ ok: true, problems: [] })
    }
  })
})

test('list snapshots and files', async () => {
  const options = { compression: 'zstd' }
  const backup = await engine.backup(sandbox.context(options), {
    snapshotId: 'listed',
    source: { kind: 'path', path: volume },
    tags: { resource: 'r2' },
  })

  const snapshots = await engine.listSnapshots(sandbox.context(options))
  const listed = snapshots.find((snapshot) => snapshot.id === 'listed')
  expect(listed?.tags).toEqual({ resource: 'r2' })

  const files = await engine.listFiles(sandbox.context(options), {
    snapshot: backup.snapshot,
    prefix: 'hl',
  })
  expect(files.map((file) => file.path).sort()).toEqual([
    'hl',
    'hl/a',
    'hl/a/one',
    'hl/b',
    'hl/b/two',
    'hl/three',
  ])
  const nonUtf8 = await engine.listFiles(sandbox.context(options), { snapshot: backup.snapshot })
  const encoded = `base64:${Buffer.from('not-utf8-\xff\xfe', 'latin1').toString('base64')}`
  expect(nonUtf8.some((file) => file.path === encoded)).toBe(true)
  const setuid = nonUtf8.find((file) => file.path === 'setuid')
  expect(setuid?.mode).toBe(0o4755)
  expect(setuid?.mtime.getTime()).toBe(1_600_000_000_123)

  await engine.forget(sandbox.context(options), { snapshots: [backup.snapshot] })
  const after = await engine.listSnapshots(sandbox.context(options))
  expect(after.some((snapshot) => snapshot.id === 'listed')).toBe(false)
  expect(await sandbox.storage.list('snapshots/listed/')).toEqual([])
})

test('partial restore of one file', async () => {
  const options = { compression: 'zstd', blockSizeMiB: 1 }
  const backup = await engine.backup(sandbox.context(options), {
    snapshotId: 'partial',
    source: { kind: 'path', path: volume },
    tags: {},
  })
  const target = join(sandbox.root, 'target-partial')
  sh(`mkdir ${target}`)

  const files = await engine.listFiles(sandbox.context(options), {
    snapshot: backup.snapshot,
    prefix: 'hl',
  })
  const link = files.find((file) => file.type === 'hardlink')!
  expect(link.linkTarget).toBeDefined()

  const result = await engine.restore(sandbox.context(options), {
    snapshot: backup.snapshot,
    target,
    mode: 'merge',
    paths: [link.path, 'random'],
  })
  expect(result.rejected).toEqual([])
  const restored = sh(`cd ${target} && find . -type f | sort`).trim().split('\n')
  expect(restored).toEqual([`./${link.path}`, `./${link.linkTarget}`, './random'].sort())
  expect(sh(`stat -c %i ${target}/${link.path}`)).toBe(
    sh(`stat -c %i ${target}/${link.linkTarget}`)
  )
  expect(sh(`sha256sum < ${target}/random`)).toBe(sh(`sha256sum < ${volume}/random`))
})

test('growing file reported', async () => {
  const grow = join(sandbox.root, 'grow')
  sh(`mkdir ${grow} && head -c 200000000 /dev/zero > ${grow}/big`)
  const writer = sh(
    `(for i in $(seq 1 4000); do printf x >> ${grow}/big; sleep 0.001; done) > /dev/null 2>&1 & echo $!`
  ).trim()
  try {
    const backup = await engine.backup(sandbox.context({ compression: 'zstd', level: 1 }), {
      snapshotId: 'grow',
      source: { kind: 'path', path: grow },
      tags: {},
    })
    expect(backup.warnings.map((warning) => [warning.code, warning.path])).toContainEqual([
      'FILE_CHANGED',
      'big',
    ])
    const verdict = await engine.verify(sandbox.context({}), {
      snapshot: backup.snapshot,
      level: 'data',
    })
    expect(verdict.problems).toEqual([])
  } finally {
    sh(`kill ${writer} 2>/dev/null || true`)
  }
})
