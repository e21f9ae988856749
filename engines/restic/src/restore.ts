import fs from 'node:fs/promises'
import type { BigIntStats } from 'node:fs'
import path from 'node:path'
import { CofferError } from '@coffer/sdk'
import type {
  EngineContext,
  EngineWarning,
  RejectedEntry,
  RestoreRequest,
  RestoreResult,
} from '@coffer/sdk'
import { forEachNode } from './nodes.js'
import { randomName, ResticRepository } from './repository.js'
import type { ResticEngineConfig } from './repository.js'
import { resticError } from './restic_errors.js'
import { applyAll, applyPaths, joinBytes } from './restore_apply.js'
import type { ApplyReport } from './restore_apply.js'
import { guardRestore } from './restore_guard.js'
import type { ListedNode, RestoreGuard } from './restore_guard.js'
import { readRejectedNames, selectionArguments } from './restore_selection.js'
import { findSnapshot, rootNameOf } from './snapshots.js'
import { applyFolderMetadata, digHoles, MIN_SPARSE_SIZE } from './sparse.js'

/** Prefix of the staging folder a restore creates inside the target. */
const STAGING_PREFIX = '.coffer-restore-'

/**
 * Restores a snapshot, or chosen paths of it, into `request.target`. The snapshot's listing is
 * checked first, and entries that could be written through a link or over another entry are
 * left out and reported in `rejected`. restic restores into a fresh staging folder inside the
 * target, and the entries are then renamed into place, so nothing is written outside the target
 * and nothing is written through a link in it.
 */
export async function restore(
  context: EngineContext,
  config: ResticEngineConfig,
  request: RestoreRequest
): Promise<RestoreResult> {
  const target = await checkTarget(request.target)
  const paths = normalizePaths(request.paths)

  const repository = await ResticRepository.open(context, config, {
    create: false,
    removeStaleLocks: true,
  })
  const staging = path.join(target, randomName(STAGING_PREFIX))
  try {
    const snapshot = await findSnapshot(repository, request.snapshot)
    const rootName = rootNameOf(snapshot)
    context.log('info', 'restic restore started', {
      snapshotId: request.snapshot.id,
      engineSnapshotId: snapshot.id,
      mode: request.mode,
      paths: paths?.length ?? 'all',
    })

    const guard = await checkSnapshot(repository, snapshot.id, rootName, paths)
    if (guard.rejected.length > 0) {
      context.log('warn', 'restic restore rejected entries of the snapshot', {
        snapshotId: request.snapshot.id,
        rejected: guard.rejected.length,
      })
    }

    if (guard.paths?.length === 0) {
      return {
        files: 0,
        directories: 0,
        bytesWritten: 0,
        rejected: guard.rejected,
        leftInPlace: [],
        warnings: [],
      }
    }

    await fs.mkdir(staging, { mode: 0o700 })
    const args = [snapshot.id, '--target', staging, ...selectionArguments(rootName, guard)]
    if (repository.binary.sparseRestore) {
      args.push('--sparse')
    }

    context.progress({ phase: 'restore', bytesDone: 0 })
    const rejected = [...guard.rejected, ...(await runRestore(repository, args, rootName, guard))]

    const stagedRoot = Buffer.from(path.join(staging, rootName))
    const warnings = await checkChosenPaths(stagedRoot, guard.paths, rejected.length > 0)
    if (guard.paths !== undefined && warnings.length === guard.paths.length) {
      return { files: 0, directories: 0, bytesWritten: 0, rejected, leftInPlace: [], warnings }
    }

    const counts = await countTree(stagedRoot)
    if (!repository.binary.sparseRestore) {
      await digHoles(counts.largeFiles)
    }

    const rootStats = await fs.lstat(stagedRoot, { bigint: true })
    const report: ApplyReport = { leftInPlace: [] }
    if (guard.paths === undefined) {
      await applyAll(
        stagedRoot,
        Buffer.from(target),
        Buffer.from(path.basename(staging)),
        request.mode,
        report
      )
    } else {
      const found = guard.paths.filter(
        (chosen) => !warnings.some((warning) => warning.path === chosen)
      )
      await applyPaths(stagedRoot, Buffer.from(target), found, request.mode, report)
    }

    // Removing the staging folder changes the target's mtime, so the root metadata comes last.
    await fs.rm(staging, { recursive: true, force: true })
    await applyFolderMetadata(Buffer.from(target), rootStats)
    context.progress({ phase: 'restore', bytesDone: counts.bytes, bytesTotal: counts.bytes })
    context.log('info', 'restic restore finished', {
      snapshotId: request.snapshot.id,
      files: counts.files,
      leftInPlace: report.leftInPlace.length,
      rejected: rejected.length,
    })

    return {
      files: counts.files,
      directories: counts.directories,
      bytesWritten: counts.bytes,
      rejected,
      leftInPlace: report.leftInPlace,
      warnings,
    }
  } finally {
    await fs.rm(staging, { recursive: true, force: true })
    await repository.close()
  }
}

/**
 * Lists the snapshot's nodes and checks them before anything is restored. The whole snapshot is
 * listed even for chosen paths, because `restic ls <snapshot> <path>` leaves out the folders
 * above the path, and the guard checks those too.
 */
async function checkSnapshot(
  repository: ResticRepository,
  snapshotId: string,
  rootName: string,
  paths: string[] | undefined
): Promise<RestoreGuard> {
  const nodes: ListedNode[] = []
  await forEachNode(repository, snapshotId, (node) => {
    nodes.push({ name: node.name, type: node.type, path: node.path })
  })

  return guardRestore(nodes, rootName, paths)
}

/**
 * Runs `restic restore` and returns the entries its restorer rejected by name. restic exits with
 * 1 after it skips such a node, so that exit is accepted only when the guard found those names.
 */
async function runRestore(
  repository: ResticRepository,
  args: string[],
  rootName: string,
  guard: RestoreGuard
): Promise<RejectedEntry[]> {
  const output = await repository.run('restore', args, { allowExitCodes: [1] })
  if (output.exitCode === 0) {
    return []
  }

  const rejectedNames =
    guard.invalidNames.size === 0
      ? null
      : readRejectedNames(output.stderr, rootName, guard.invalidNames)
  if (rejectedNames === null) {
    throw resticError(repository.binary, repository.name, 'restore', output)
  }

  return rejectedNames
}

async function checkTarget(target: string): Promise<string> {
  const resolved = path.resolve(target)
  const stats = await fs.lstat(resolved).catch(() => null)
  if (stats === null || !stats.isDirectory()) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `restore target "${target}" is not an existing folder (a symbolic link is not accepted). Create the folder first`
    )
  }

  return resolved
}

/** Checks and normalises chosen paths: relative, `/`-separated, no `.` or `..` segments. */
export function normalizePaths(paths: string[] | undefined): string[] | undefined {
  if (paths === undefined) {
    return undefined
  }

  const normalized = new Set<string>()
  for (const chosen of paths) {
    const segments = chosen.split('/').filter((segment) => segment !== '' && segment !== '.')
    if (
      segments.length === 0 ||
      segments.includes('..') ||
      chosen.startsWith('/') ||
      chosen.includes('\0')
    ) {
      throw new CofferError(
        'INVALID_ARGUMENT',
        `restore path "${chosen}" is not a relative path inside the volume. Use paths such as "folder/file" as listFiles returns them`
      )
    }

    normalized.add(segments.join('/'))
  }

  // A path below another chosen path is restored with it.
  const sorted = [...normalized].sort()
  return sorted.filter((chosen) => !sorted.some((other) => chosen.startsWith(`${other}/`)))
}

async function checkChosenPaths(
  stagedRoot: Buffer,
  paths: string[] | undefined,
  hasRejected: boolean
): Promise<EngineWarning[]> {
  if (paths === undefined) {
    return []
  }

  const warnings: EngineWarning[] = []
  for (const chosen of paths) {
    const exists = await fs.lstat(joinBytes(stagedRoot, chosen)).catch(() => null)
    if (exists === null) {
      warnings.push({
        code: 'PATH_NOT_FOUND',
        path: chosen,
        message: `"${chosen}" is not in the snapshot, so it was not restored`,
      })
    }
  }

  // With rejected entries, the result reports them, so an empty restore is no error.
  if (warnings.length === paths.length && !hasRejected) {
    throw new CofferError(
      'NOT_FOUND',
      `none of the restore paths (${paths.join(', ')}) is in the snapshot. Check them against listFiles`
    )
  }

  return warnings
}

interface TreeCounts {
  files: number
  directories: number
  bytes: number
  largeFiles: Array<{ path: Buffer; stats: BigIntStats }>
}

async function countTree(root: Buffer): Promise<TreeCounts> {
  const counts: TreeCounts = { files: 0, directories: 0, bytes: 0, largeFiles: [] }
  const pending: Buffer[] = [root]
  while (pending.length > 0) {
    const folder = pending.pop()!
    for (const name of await fs.readdir(folder, { encoding: 'buffer' })) {
      const child = joinBytes(folder, name)
      const stats = await fs.lstat(child, { bigint: true })
      if (stats.isDirectory()) {
        counts.directories++
        pending.push(child)
      } else if (stats.isFile()) {
        counts.files++
        counts.bytes += Number(stats.size)
        if (stats.size >= MIN_SPARSE_SIZE) {
          counts.largeFiles.push({ path: child, stats })
        }
      }
    }
  }

  return counts
}
