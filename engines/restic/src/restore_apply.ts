import fs from 'node:fs/promises'
import type { RestoreMode } from '@coffer/sdk'
import type { BigIntStats } from 'node:fs'
import { applyFolderMetadata } from './sparse.js'

/** Paths as raw bytes, so names that are not valid UTF-8 are moved unchanged. */
type BytePath = Buffer

/** Entries the apply step found in the target but not in the snapshot (merge mode). */
export interface ApplyReport {
  leftInPlace: string[]
}

/** Joins a folder and a name (or a `/`-separated relative path) as raw bytes. */
export function joinBytes(folder: BytePath, name: BytePath | string): BytePath {
  return Buffer.concat([
    folder,
    Buffer.from('/'),
    typeof name === 'string' ? Buffer.from(name) : name,
  ])
}

/** Returns a relative path for reports: UTF-8 text, or base64 of the raw bytes when invalid. */
export function displayPath(bytes: BytePath): string {
  const text = bytes.toString('utf8')
  return Buffer.from(text, 'utf8').equals(bytes) ? text : bytes.toString('base64')
}

/**
 * Moves the whole staged volume into the target. `replace` removes every target entry the
 * snapshot lacks and replaces entries whole; `merge` keeps other entries, reports them, and
 * merges folders present on both sides. `skipName` is the staging folder inside the target.
 * The caller sets the target root's own metadata once the staging folder is gone.
 */
export async function applyAll(
  stagedRoot: BytePath,
  target: BytePath,
  skipName: BytePath,
  mode: RestoreMode,
  report: ApplyReport
): Promise<void> {
  await applyChildren(stagedRoot, target, Buffer.alloc(0), mode, report, skipName)
}

/**
 * Moves chosen paths of the staged volume into the target. Missing parent folders are created,
 * and every parent gets the snapshot's owner, mode and mtime; `mode` applies below each path.
 * The caller sets the target root's own metadata once the staging folder is gone.
 */
export async function applyPaths(
  stagedRoot: BytePath,
  target: BytePath,
  paths: string[],
  mode: RestoreMode,
  report: ApplyReport
): Promise<void> {
  // Moving entries out of the staged parents changes their mtimes, so their stats are read first.
  const parentStats = new Map<string, BigIntStats>()
  for (const chosen of paths) {
    const segments = chosen.split('/')
    for (let depth = 1; depth < segments.length; depth++) {
      const parent = segments.slice(0, depth).join('/')
      parentStats.set(parent, await fs.lstat(joinBytes(stagedRoot, parent), { bigint: true }))
    }
  }

  for (const chosen of paths) {
    const segments = chosen.split('/')
    for (let depth = 1; depth < segments.length; depth++) {
      const parent = segments.slice(0, depth).join('/')
      await ensureFolder(joinBytes(target, parent))
    }

    await applyEntry(
      joinBytes(stagedRoot, chosen),
      joinBytes(target, chosen),
      Buffer.from(chosen),
      mode,
      report
    )
  }

  // Deepest first, so setting a parent's mtime is not undone by a later change below it.
  const ordered = [...parentStats.keys()].sort((a, b) => b.split('/').length - a.split('/').length)
  for (const parent of ordered) {
    await applyFolderMetadata(joinBytes(target, parent), parentStats.get(parent)!)
  }
}

async function applyChildren(
  staged: BytePath,
  target: BytePath,
  relative: BytePath,
  mode: RestoreMode,
  report: ApplyReport,
  skipName?: BytePath
): Promise<void> {
  const stagedNames = await fs.readdir(staged, { encoding: 'buffer' })
  const targetNames = await fs.readdir(target, { encoding: 'buffer' })
  const inSnapshot = new Set(stagedNames.map((name) => name.toString('hex')))

  for (const name of targetNames) {
    if ((skipName !== undefined && name.equals(skipName)) || inSnapshot.has(name.toString('hex'))) {
      continue
    }

    if (mode === 'replace') {
      await fs.rm(joinBytes(target, name), { recursive: true, force: true })
    } else {
      report.leftInPlace.push(displayPath(childPath(relative, name)))
    }
  }

  for (const name of stagedNames) {
    await applyEntry(
      joinBytes(staged, name),
      joinBytes(target, name),
      childPath(relative, name),
      mode,
      report
    )
  }
}

/**
 * Puts one staged entry in place. Only a real folder (never a symbolic link to one) is merged
 * into, so nothing is ever written through a link found in the target.
 */
async function applyEntry(
  staged: BytePath,
  target: BytePath,
  relative: BytePath,
  mode: RestoreMode,
  report: ApplyReport
): Promise<void> {
  const stagedStats = await fs.lstat(staged)
  const targetStats = await fs.lstat(target).catch(() => null)

  if (mode === 'merge' && stagedStats.isDirectory() && targetStats?.isDirectory()) {
    // Moving the children out changes the staged folder's mtime, so its stats are read first.
    const folderStats = await fs.lstat(staged, { bigint: true })
    await applyChildren(staged, target, relative, mode, report)
    await applyFolderMetadata(target, folderStats)
    return
  }

  if (targetStats !== null) {
    await fs.rm(target, { recursive: true, force: true })
  }

  await fs.rename(staged, target)
}

/** Makes `folder` a real folder: a file or link in its place is removed first. */
async function ensureFolder(folder: BytePath): Promise<void> {
  const stats = await fs.lstat(folder).catch(() => null)
  if (stats?.isDirectory()) {
    return
  }

  if (stats !== null) {
    await fs.rm(folder, { recursive: true, force: true })
  }

  await fs.mkdir(folder, { mode: 0o700 })
}

function childPath(relative: BytePath, name: BytePath): BytePath {
  return relative.length === 0 ? name : Buffer.concat([relative, Buffer.from('/'), name])
}
