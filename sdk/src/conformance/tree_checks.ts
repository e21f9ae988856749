import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { BackupSourceKind, EngineWarning, SnapshotRef } from '../contract.js'
import type { Storage } from '../storage.js'
import { compareTrees, type CompareOptions } from './compare_trees.js'
import type { CorpusVolume } from './corpus.js'
import { displayPath } from './path_bytes.js'
import { carriedBy } from './sources.js'
import type { TreeDigest } from './tree_digest.js'

/** Tells whether a warning names `relative` in its path or message. */
export function warningNames(warnings: EngineWarning[], relative: string): boolean {
  const encoded = Buffer.from(relative).toString('base64')
  return warnings.some(
    (warning) =>
      warning.path === relative ||
      warning.path === encoded ||
      warning.path === `./${relative}` ||
      warning.message.includes(relative)
  )
}

/** Facts about a backup that the kit needs to check a restore of it. */
export interface BackupFacts {
  warnings: EngineWarning[]
  /** The source kind the backup read. */
  sourceKind: BackupSourceKind
}

/**
 * Returns the volume's skippable paths (unix sockets) that a backup may leave out: those a
 * warning names, or all of them for a tar-stream backup, since GNU tar drops sockets from the
 * stream and the engine never receives them.
 */
export function skippedPaths(volume: CorpusVolume, backup: BackupFacts): string[] {
  if (backup.sourceKind === 'tar-stream') {
    return volume.skippablePaths
  }

  return volume.skippablePaths.filter((relative) => warningNames(backup.warnings, relative))
}

/**
 * Compares a restored tree with the source, allowing what the volume permits: growing files
 * compare by prefix (checked separately) and skippable entries may be missing when the backup
 * could skip them. A tar-stream backup is compared with what the stream carries (`carriedBy`),
 * and holes are not compared because the stream has none.
 */
export function compareRestored(
  volume: CorpusVolume,
  source: TreeDigest,
  restored: TreeDigest,
  backup: BackupFacts,
  extra: CompareOptions = {}
): string[] {
  const growing = new Set(volume.growingPaths.map((relative) => displayPath(relative)))
  const skippable = new Set(skippedPaths(volume, backup).map((relative) => displayPath(relative)))
  const fromTarStream = backup.sourceKind === 'tar-stream'

  return compareTrees(carriedBy(backup.sourceKind, source), restored, {
    labels: { expected: 'source', actual: 'restored' },
    skipPath: (shown) => skippable.has(shown) || (extra.skipPath?.(shown) ?? false),
    ignore: (shown, field, expected) => {
      const changing =
        field === 'size' || field === 'sha256' || field === 'mtime' || field === 'sparse'
      if (growing.has(shown) && changing) {
        return true
      }

      if (fromTarStream && field === 'sparse') {
        return true
      }

      // The root's mtime changes when a skipped entry is missing, so it is not comparable then.
      if (shown === '"."' && field === 'mtime' && skippable.size > 0) {
        return true
      }

      return extra.ignore?.(shown, field, expected) ?? false
    },
  })
}

/**
 * Checks that each growing file was restored as a prefix of the final source content, at least
 * as long as it was when the backup started.
 */
export async function checkGrowingFiles(
  volume: CorpusVolume,
  restoredRoot: string,
  initialSizes: Map<string, number>
): Promise<string[]> {
  const problems: string[] = []
  for (const relative of volume.growingPaths) {
    const restored = await fs.readFile(path.join(restoredRoot, relative)).catch(() => null)
    if (restored === null) {
      problems.push(`${displayPath(relative)}: missing from the restored tree`)
      continue
    }

    const initial = initialSizes.get(relative) ?? 0
    if (restored.length < initial) {
      problems.push(
        `${displayPath(relative)}: ${restored.length} bytes restored, fewer than the ${initial} before the backup`
      )
    }

    const source = await fs.readFile(path.join(volume.path, relative))
    if (!source.subarray(0, restored.length).equals(restored)) {
      problems.push(`${displayPath(relative)}: restored content is not a prefix of the source file`)
    }
  }

  return problems
}

/** Checks that every artifact of `snapshot` is stored with the reported size and sha256. */
export async function checkArtifacts(storage: Storage, snapshot: SnapshotRef): Promise<string[]> {
  const problems: string[] = []
  for (const artifact of snapshot.artifacts) {
    const stored = await storage.stat(artifact.key)
    if (stored === null) {
      problems.push(`artifact ${artifact.key}: not found in storage`)
      continue
    }

    if (stored.size !== artifact.size) {
      problems.push(
        `artifact ${artifact.key}: size ${artifact.size} reported, ${stored.size} stored`
      )
    }

    const hash = createHash('sha256')
    await pipeline(await storage.get(artifact.key), hash)
    const sha256 = hash.digest('hex')
    if (sha256 !== artifact.sha256) {
      problems.push(
        `artifact ${artifact.key}: sha256 ${artifact.sha256} reported, ${sha256} stored`
      )
    }
  }

  return problems
}

/** Tells whether the display path `shown` is one of `paths` or below one of them. */
export function isUnder(shown: string, paths: string[]): boolean {
  return paths.some((relative) => {
    const prefix = displayPath(relative).slice(0, -1)
    return shown === `${prefix}"` || shown.startsWith(`${prefix}/`)
  })
}
