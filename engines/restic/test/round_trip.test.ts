import fs from 'node:fs/promises'
import path from 'node:path'
import type net from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { BackupResult } from '@coffer/sdk'
import { createResticEngine } from '../src/index.js'
import { buildCorpus, describeTree } from './corpus.js'
import {
  makeContext,
  makeLocalStorage,
  makeTempDir,
  randomPassword,
  removeAll,
  resticBinary,
  writeResticSpy,
} from './helpers.js'
import type { LocalStorage } from '@coffer/sdk'

const engine = createResticEngine({ binary: resticBinary() })
const password = randomPassword()
let storage: LocalStorage
let volume: string
let socketServer: net.Server
let first: BackupResult

beforeAll(async () => {
  ;({ storage } = await makeLocalStorage())
  volume = path.join(await makeTempDir('volume'), 'data')
  await fs.mkdir(volume)
  socketServer = await buildCorpus(volume)
  first = await engine.backup(await makeContext(storage, password), {
    snapshotId: 'snap-1',
    source: { kind: 'path', path: volume },
    tags: { 'resource': 'app,db 1', 'with=equals': 'x' },
  })
}, 300_000)

afterAll(async () => {
  socketServer?.close()
  await removeAll()
})

describe('restic round trip', () => {
  test('backup result', async () => {
    expect(first.snapshot.id).toBe('snap-1')
    expect(first.snapshot.engineSnapshotId).toMatch(/^[0-9a-f]{64}$/)
    expect(first.snapshot.artifacts[0]?.key).toBe(
      `repository/snapshots/${first.snapshot.engineSnapshotId}`
    )
    expect(first.stats.files).toBeGreaterThan(10)
    expect(first.warnings.map((warning) => warning.code)).toEqual(['SKIPPED_SOCKET'])
    expect(first.warnings[0]?.path).toBe('socket')
  })

  test('list snapshots', async () => {
    const snapshots = await engine.listSnapshots(await makeContext(storage, password))
    expect(snapshots).toHaveLength(1)
    expect(snapshots[0]?.id).toBe('snap-1')
    expect(snapshots[0]?.engineSnapshotId).toBe(first.snapshot.engineSnapshotId)
    expect(snapshots[0]?.tags).toEqual({ 'resource': 'app,db 1', 'with=equals': 'x' })
  })

  test('list files', async () => {
    const files = await engine.listFiles(await makeContext(storage, password), {
      snapshot: first.snapshot,
    })
    const byPath = new Map(files.map((entry) => [entry.path, entry]))
    expect(byPath.get('a/b/c/deep.txt')?.type).toBe('file')
    expect(byPath.get('a/b/c/deep.txt')?.size).toBe(13)
    expect(byPath.get('setuid.sh')?.mode).toBe(0o6755)
    expect(byPath.get('sticky')?.mode).toBe(0o1777)
    expect(byPath.get('owned.txt')?.uid).toBe(123456)
    expect(byPath.get('absolute-link')?.type).toBe('symlink')
    expect(byPath.get('absolute-link')?.linkTarget).toBe('/etc/passwd')
    expect(byPath.get('a/relative-outside')?.linkTarget).toBe('../../outside')
    expect(byPath.get('loop-a')?.linkTarget).toBe('loop-b')
    expect(byPath.get('fifo')?.type).toBe('fifo')
    expect(byPath.get('new\nline')?.type).toBe('file')
    expect(byPath.has('')).toBe(false)

    const under = await engine.listFiles(await makeContext(storage, password), {
      snapshot: first.snapshot,
      prefix: 'a/b',
    })
    expect(under.map((entry) => entry.path).sort()).toEqual([
      'a/b',
      'a/b/c',
      'a/b/c/deep.txt',
      'a/b/linked-2.txt',
    ])
  })

  test('restore into empty target', async () => {
    const target = await makeTempDir('target')
    const result = await engine.restore(await makeContext(storage, password), {
      snapshot: first.snapshot,
      target,
      mode: 'replace',
    })
    expect(result.rejected).toEqual([])
    expect(result.files).toBeGreaterThan(10)
    expect(await describeTree(target)).toEqual(await describeTree(volume))
  })

  test('replace removes additions', async () => {
    const target = await makeTempDir('target')
    await fs.writeFile(path.join(target, 'added-before.txt'), 'not in the snapshot')
    await fs.mkdir(path.join(target, 'a'))
    await fs.writeFile(path.join(target, 'a/extra.txt'), 'not in the snapshot')
    await fs.symlink('/tmp', path.join(target, 'empty-folder'))

    await engine.restore(await makeContext(storage, password), {
      snapshot: first.snapshot,
      target,
      mode: 'replace',
    })
    expect(await describeTree(target)).toEqual(await describeTree(volume))
  })

  test('merge keeps and reports additions', async () => {
    const target = await makeTempDir('target')
    await fs.writeFile(path.join(target, 'kept.txt'), 'not in the snapshot')
    await fs.mkdir(path.join(target, 'a'))
    await fs.writeFile(path.join(target, 'a/kept-too.txt'), 'not in the snapshot')
    await fs.writeFile(path.join(target, 'owned.txt'), 'older content')

    const result = await engine.restore(await makeContext(storage, password), {
      snapshot: first.snapshot,
      target,
      mode: 'merge',
    })
    expect(result.leftInPlace.sort()).toEqual(['a/kept-too.txt', 'kept.txt'])
    expect(await fs.readFile(path.join(target, 'owned.txt'), 'utf8')).toBe(
      'owner without passwd entry\n'
    )

    const restoredRoot = await fs.lstat(target, { bigint: true })
    const sourceRoot = await fs.lstat(volume, { bigint: true })
    expect(restoredRoot.mtimeNs).toBe(sourceRoot.mtimeNs)
    expect(restoredRoot.mode).toBe(sourceRoot.mode)

    // Removing the kept entries changes the mtimes of their folders, so those are left out.
    await fs.rm(path.join(target, 'kept.txt'))
    await fs.rm(path.join(target, 'a/kept-too.txt'))
    const restored = await describeTree(target)
    const source = await describeTree(volume)
    for (const folder of ['', 'a']) {
      restored.delete(Buffer.from(folder).toString('hex'))
      source.delete(Buffer.from(folder).toString('hex'))
    }
    expect(restored).toEqual(source)
  })

  test('merge never writes through links', async () => {
    const outside = await makeTempDir('outside')
    const target = await makeTempDir('target')
    await fs.symlink(outside, path.join(target, 'a'))
    await fs.symlink(outside, path.join(target, 'xattr.txt'))

    await engine.restore(await makeContext(storage, password), {
      snapshot: first.snapshot,
      target,
      mode: 'merge',
    })
    expect(await fs.readdir(outside)).toEqual([])
    expect((await fs.lstat(path.join(target, 'a'))).isDirectory()).toBe(true)
    expect((await fs.lstat(path.join(target, 'xattr.txt'))).isFile()).toBe(true)
  })

  test('restore chosen paths', async () => {
    const target = await makeTempDir('target')
    const result = await engine.restore(await makeContext(storage, password), {
      snapshot: first.snapshot,
      target,
      paths: ['a/b/c', 'xattr.txt', 'not-there'],
      mode: 'replace',
    })
    expect(result.warnings.map((warning) => warning.path)).toEqual(['not-there'])
    expect((await fs.readdir(target)).sort()).toEqual(['a', 'xattr.txt'])
    expect(await fs.readdir(path.join(target, 'a/b'))).toEqual(['c'])
    const c = Buffer.from('a/b/c').toString('hex')
    expect((await describeTree(target)).get(c)).toEqual((await describeTree(volume)).get(c))
  })

  test('restore path with glob characters', async () => {
    await fs.writeFile(path.join(volume, 'star*[x]'), 'glob name')
    await fs.writeFile(path.join(volume, 'starzx'), 'other name')
    const second = await engine.backup(await makeContext(storage, password), {
      snapshotId: 'snap-2',
      source: { kind: 'path', path: volume },
      tags: {},
    })
    const target = await makeTempDir('target')
    await engine.restore(await makeContext(storage, password), {
      snapshot: second.snapshot,
      target,
      paths: ['star*[x]'],
      mode: 'merge',
    })
    expect(await fs.readdir(target)).toEqual(['star*[x]'])
  })

  test('verify levels', async () => {
    const spy = await writeResticSpy(resticBinary())
    const spyEngine = createResticEngine({ binary: spy.binary })
    const checkFlags = async (): Promise<string[]> => {
      const checks = (await spy.calls()).filter((args) => args[0] === 'check')
      return checks.at(-1)!.filter((arg) => arg.startsWith('--read-data'))
    }

    const expectedFlags = { structure: [], metadata: [], data: ['--read-data'] }
    for (const level of ['structure', 'metadata', 'data'] as const) {
      const result = await spyEngine.verify(await makeContext(storage, password), {
        snapshot: first.snapshot,
        level,
      })
      expect(result).toEqual({ ok: true, problems: [] })
      expect(await checkFlags()).toEqual(expectedFlags[level])
    }

    const partial = await spyEngine.verify(await makeContext(storage, password), {
      snapshot: first.snapshot,
      level: 'data',
      readFraction: 0.5,
    })
    expect(partial).toEqual({ ok: true, problems: [] })
    expect(await checkFlags()).toEqual(['--read-data-subset=50.000%'])
  })

  test('forget with prune', async () => {
    await engine.forget(await makeContext(storage, password), { snapshots: [first.snapshot] })
    const snapshots = await engine.listSnapshots(await makeContext(storage, password))
    expect(snapshots.map((snapshot) => snapshot.id)).toEqual(['snap-2'])

    // A second call for the same snapshot finds nothing to do.
    await engine.forget(await makeContext(storage, password), { snapshots: [first.snapshot] })
    const verified = await engine.verify(await makeContext(storage, password), {
      snapshot: first.snapshot,
      level: 'structure',
    })
    expect(verified.ok).toBe(false)
    expect(verified.problems[0]).toMatch(/snap-1/)
  })
})
