import { afterAll, describe, expect, test } from 'vitest'
import { createHostileLayout, hostileCases, isCofferError } from '@coffer/sdk'
import type { HostileCase, HostileKind } from '@coffer/sdk'
import { parseNodeLine } from '../src/nodes.js'
import type { ResticNode } from '../src/nodes.js'
import { guardRestore } from '../src/restore_guard.js'
import type { RestoreGuard } from '../src/restore_guard.js'
import {
  listedPathPattern,
  readRejectedNames,
  selectionArguments,
} from '../src/restore_selection.js'
import { hostileListing, hostileRestoreOutput, lsLine, ROOT_NAME } from './hostile_listing.js'
import { makeTempDir, removeAll } from './helpers.js'

afterAll(removeAll)

function parse(lines: string[]): ResticNode[] {
  return lines.map((line) => parseNodeLine(line)).filter((node) => node !== null)
}

function guard(lines: string[], paths?: string[]): RestoreGuard {
  return guardRestore(parse(lines), ROOT_NAME, paths)
}

function rejectedPaths(result: RestoreGuard): string[] {
  return result.rejected.map((entry) => entry.path).sort()
}

async function hostileCase(kind: HostileKind): Promise<HostileCase> {
  const layout = await createHostileLayout(await makeTempDir(`guard-${kind}`))
  return hostileCases(layout).find((candidate) => candidate.kind === kind)!
}

describe('restore guard on hostile listings', () => {
  test('dotdot names', async () => {
    const dotdot = await hostileCase('dotdot')
    const result = guard(hostileListing(dotdot))
    expect([...result.invalidNames].sort()).toEqual([...dotdot.expectRejected].sort())
    expect(result.excluded).toEqual([])

    const { stderr } = hostileRestoreOutput(dotdot)
    const rejectedNames = readRejectedNames(stderr, ROOT_NAME, result.invalidNames)
    expect(rejectedNames?.map((entry) => entry.path).sort()).toEqual(
      [...dotdot.expectRejected].sort()
    )
  })

  test('absolute name', async () => {
    const absolute = await hostileCase('absolute')
    const result = guard(hostileListing(absolute))
    expect([...result.invalidNames]).toEqual(absolute.expectRejected)

    const { stderr } = hostileRestoreOutput(absolute)
    const rejectedNames = readRejectedNames(stderr, ROOT_NAME, result.invalidNames)
    expect(rejectedNames?.map((entry) => entry.path)).toEqual(absolute.expectRejected)
  })

  test('file through a symlink', async () => {
    const through = await hostileCase('through-symlink')
    const result = guard(hostileListing(through))
    expect(rejectedPaths(result)).toEqual(['link', 'link/through.txt'])
    expect(result.rejected[0]?.reason).toMatch(/2 times \(symlink, dir\)/)
    expect(result.rejected[1]?.reason).toMatch(/inside "link"/)
    expect(result.excluded).toEqual([`/${ROOT_NAME}/link`])
  })

  test('folder replaced by a link', async () => {
    const replaced = await hostileCase('folder-replaced-by-link')
    const result = guard(hostileListing(replaced))
    expect(rejectedPaths(result)).toEqual(['dir', 'dir/replaced.txt'])
    expect(result.excluded).toEqual([`/${ROOT_NAME}/dir`])
  })

  test('hard links need no rejection', async () => {
    // restic stores a hard link as a file node with an inode number, and its restorer links it
    // only to a name restored in the same run, so the listing has no link target to check.
    const hardlinks = await hostileCase('hardlink-outside')
    const result = guard(hostileListing(hardlinks))
    expect(result.rejected).toEqual([])
    expect(result.excluded).toEqual([])
  })
})

describe('restore guard rules', () => {
  test('child of a symlink without a folder node', () => {
    const result = guard([
      lsLine('dir', '/vol'),
      lsLine('symlink', '/vol/link'),
      lsLine('file', '/vol/link/escaped.txt'),
    ])
    expect(rejectedPaths(result)).toEqual(['link/escaped.txt'])
    expect(result.rejected[0]?.reason).toMatch(/passes through "link", which is a symlink/)
  })

  test('child of a folder that is not listed', () => {
    const result = guard([lsLine('dir', '/vol'), lsLine('file', '/vol/missing/orphan.txt')])
    expect(rejectedPaths(result)).toEqual(['missing/orphan.txt'])
  })

  test('same path and type twice', () => {
    const result = guard([
      lsLine('dir', '/vol'),
      lsLine('file', '/vol/twice.txt'),
      lsLine('file', '/vol/twice.txt'),
    ])
    expect(rejectedPaths(result)).toEqual(['twice.txt'])
  })

  test('unknown node type', () => {
    const result = guard([lsLine('dir', '/vol'), lsLine('door', '/vol/door')])
    expect(rejectedPaths(result)).toEqual(['door'])
  })

  test('volume root that is a link', () => {
    let code: string | undefined
    try {
      guard([lsLine('symlink', '/vol'), lsLine('dir', '/vol'), lsLine('file', '/vol/a')])
    } catch (error) {
      code = isCofferError(error) ? error.code : String(error)
    }
    expect(code).toBe('CORRUPT')
  })

  test('chosen paths keep their scope', () => {
    const lines = [
      lsLine('dir', '/vol'),
      lsLine('file', '/vol/kept.txt'),
      lsLine('dir', '/vol/a'),
      lsLine('file', '/vol/a/good.txt'),
      lsLine('symlink', '/vol/a/bad'),
      lsLine('dir', '/vol/a/bad'),
      lsLine('symlink', '/vol/elsewhere'),
      lsLine('dir', '/vol/elsewhere'),
    ]
    const result = guard(lines, ['a', 'kept.txt'])
    expect(rejectedPaths(result)).toEqual(['a/bad'])
    expect(result.paths).toEqual(['a', 'kept.txt'])
    expect(result.excluded).toEqual(['/vol/a/bad'])
  })

  test('chosen path below a rejected folder', () => {
    const lines = [
      lsLine('dir', '/vol'),
      lsLine('symlink', '/vol/dir'),
      lsLine('dir', '/vol/dir'),
      lsLine('file', '/vol/dir/replaced.txt'),
      lsLine('file', '/vol/kept.txt'),
    ]
    const result = guard(lines, ['dir/replaced.txt', 'kept.txt'])
    expect(rejectedPaths(result)).toEqual(['dir', 'dir/replaced.txt'])
    expect(result.paths).toEqual(['kept.txt'])
    expect(result.excluded).toEqual([])
  })

  test('name that is not valid UTF-8', () => {
    // restic 0.14 prints the byte 0xff of "b\xffc" as U+FFFD, and the pattern for it also
    // matches "bxc", so that entry is reported too.
    const result = guard([
      lsLine('dir', '/vol'),
      lsLine('symlink', '/vol/b\uFFFDc'),
      lsLine('dir', '/vol/b\uFFFDc'),
      lsLine('file', '/vol/bxc'),
      lsLine('file', '/vol/bxcd'),
    ])
    expect(rejectedPaths(result)).toEqual(['b\uFFFDc', 'bxc'].sort())
    expect(result.excluded).toEqual(['/vol/b\uFFFDc'])
  })
})

describe('restore selection', () => {
  test('whole volume excludes', () => {
    const result = guard([
      lsLine('dir', '/vol'),
      lsLine('symlink', '/vol/st*r'),
      lsLine('dir', '/vol/st*r'),
    ])
    expect(selectionArguments(ROOT_NAME, result)).toEqual(['--exclude', '/vol/st\\*r'])
  })

  test('chosen paths include and negate', () => {
    const result = guard(
      [
        lsLine('dir', '/vol'),
        lsLine('dir', '/vol/a'),
        lsLine('symlink', '/vol/a/b[1]'),
        lsLine('file', '/vol/a/b[1]'),
      ],
      ['a']
    )
    expect(selectionArguments(ROOT_NAME, result)).toEqual([
      '--include',
      '/vol/a',
      '--include',
      '!/vol/a/b\\[1\\]',
    ])
  })

  test('replacement character pattern', () => {
    expect(listedPathPattern('/vol/b\uFFFDc?')).toBe('/vol/b?c\\?')
  })
})

describe('restic name rejections', () => {
  const names = new Set(['../x'])

  test('rejection read', () => {
    const stderr =
      'ignoring error for /vol/sub: invalid child node name ../x\n'.repeat(2) +
      'There were 2 errors\n\n'
    expect(readRejectedNames(stderr, ROOT_NAME, names)).toEqual([
      {
        path: 'sub/../x',
        reason: 'restic rejects the name "../x" because it is not a single path component',
      },
    ])
  })

  test('other error not accepted', () => {
    const stderr =
      'ignoring error for /vol/sub: invalid child node name ../x\n' +
      'ignoring error for /vol/file: OpenFile: permission denied\n' +
      'There were 2 errors\n'
    expect(readRejectedNames(stderr, ROOT_NAME, names)).toBeNull()
  })

  test('unexpected name not accepted', () => {
    const stderr = 'ignoring error for /vol: invalid child node name ../y\nThere were 1 errors\n'
    expect(readRejectedNames(stderr, ROOT_NAME, names)).toBeNull()
  })

  test('count mismatch not accepted', () => {
    const stderr = 'ignoring error for /vol: invalid child node name ../x\nThere were 3 errors\n'
    expect(readRejectedNames(stderr, ROOT_NAME, names)).toBeNull()
  })
})
