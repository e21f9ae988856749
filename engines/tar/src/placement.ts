import { lstat, readdir, rename, rm } from 'node:fs/promises'
import { isUnder, pathToText } from './paths.js'

/** Outcome of moving a staged tree into the target. */
export interface PlacementResult {
  leftInPlace: string[]
}

/** Options of `placeStagedTree`. */
export interface PlacementOptions {
  /** `replace` removes target entries missing from the snapshot within the scope; `merge` lists them. */
  mode: 'replace' | 'merge'
  /** Restored paths (raw bytes); an empty list means the whole volume. */
  scope: Buffer[]
  /** Name of the staging folder inside the target, skipped when comparing. */
  stagingName: string
}

/**
 * Moves a staged tree into the target by renaming. Every target path is checked with lstat, and
 * a symbolic link is never descended into. A link or file in the way of a staged directory is
 * removed first, so nothing is written through a link that was already in the target.
 */
export async function placeStagedTree(
  staging: string,
  target: string,
  options: PlacementOptions
): Promise<PlacementResult> {
  const result: PlacementResult = { leftInPlace: [] }
  await mergeFolder(Buffer.from(staging), Buffer.from(target), Buffer.alloc(0), options, result)
  return result
}

// Paths are Buffers throughout, because names may not be valid UTF-8.
async function mergeFolder(
  staged: Buffer,
  target: Buffer,
  relative: Buffer,
  options: PlacementOptions,
  result: PlacementResult
): Promise<void> {
  const stagedNames = await readdir(staged, { encoding: 'buffer' })
  const seen = new Set<string>()

  for (const name of stagedNames) {
    seen.add(name.toString('latin1'))
    const stagedChild = joinBytes(staged, name)
    const targetChild = joinBytes(target, name)
    const stagedStat = await lstat(stagedChild)
    const targetStat = await lstatOrNull(targetChild)

    if (stagedStat.isDirectory() && targetStat?.isDirectory()) {
      await mergeFolder(stagedChild, targetChild, joinRelative(relative, name), options, result)
      continue
    }

    if (targetStat) {
      await rm(targetChild, { recursive: true, force: true })
    }

    await rename(stagedChild, targetChild)
  }

  if (!inScope(relative, options.scope)) {
    return
  }

  const targetNames = await readdir(target, { encoding: 'buffer' })
  for (const name of targetNames) {
    const isStaging = relative.length === 0 && name.toString('latin1') === options.stagingName
    if (isStaging || seen.has(name.toString('latin1'))) {
      continue
    }

    if (options.mode === 'replace') {
      await rm(joinBytes(target, name), { recursive: true, force: true })
    } else {
      result.leftInPlace.push(pathToText(joinRelative(relative, name)))
    }
  }
}

function inScope(relative: Buffer, scope: Buffer[]): boolean {
  return scope.length === 0 || scope.some((path) => isUnder(relative, path))
}

function joinBytes(folder: Buffer, name: Buffer): Buffer {
  return Buffer.concat([folder, Buffer.from('/'), name])
}

function joinRelative(relative: Buffer, name: Buffer): Buffer {
  return relative.length === 0 ? name : joinBytes(relative, name)
}

async function lstatOrNull(path: Buffer) {
  try {
    return await lstat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return null
    }
    throw error
  }
}
