import fs from 'node:fs/promises'
import { constants as osConstants } from 'node:os'
import path from 'node:path'
import { CofferError } from '@coffer/sdk'
import type { BackupRequest, BackupResult, EngineContext, EngineWarning } from '@coffer/sdk'
import { compareSourceWithSnapshot } from './backup_check.js'
import { REPOSITORY_KEY, ResticRepository } from './repository.js'
import type { ResticEngineConfig } from './repository.js'
import { EXIT_INCOMPLETE, parseJsonLine } from './restic_process.js'
import { listResticSnapshots } from './snapshots.js'
import type { ResticSnapshot } from './snapshots.js'
import { backupTags, encodeTag, INCOMPLETE_TAG, SNAPSHOT_TAG } from './tags.js'

/** The `summary` message of `restic backup --json` (the fields the engine reads). */
interface BackupSummary {
  files_new: number
  files_changed: number
  files_unmodified: number
  dirs_new: number
  dirs_changed: number
  dirs_unmodified: number
  data_added: number
  total_bytes_processed: number
  snapshot_id: string
}

/**
 * Backs up a volume folder into the destination's repository. restic runs in the volume's parent
 * folder and stores the volume under its base name, so paths in the snapshot are relative and
 * the volume root's metadata is kept. Every snapshot gets `--host coffer` and Coffer's id tag.
 */
export async function backup(
  context: EngineContext,
  config: ResticEngineConfig,
  request: BackupRequest
): Promise<BackupResult> {
  const { sourcePath, parent, rootName } = await checkSource(request)
  const tags = backupTags(request.snapshotId, request.tags)

  const repository = await ResticRepository.open(context, config, {
    create: true,
    removeStaleLocks: true,
  })
  try {
    context.log('info', 'restic backup started', {
      snapshotId: request.snapshotId,
      resticVersion: repository.binary.version,
    })

    const errors: EngineWarning[] = []
    let summary: BackupSummary | undefined
    const args = ['--json', '--host', 'coffer']
    for (const tag of tags) {
      args.push('--tag', tag)
    }
    args.push('--', rootName)

    const output = await repository.run('backup', args, {
      cwd: parent,
      allowExitCodes: [EXIT_INCOMPLETE],
      onLine: (line) => {
        const message = parseJsonLine(line)
        if (message?.message_type === 'status') {
          reportProgress(context, message)
        } else if (message?.message_type === 'summary') {
          summary = message as unknown as BackupSummary
        }
      },
    })

    // In JSON mode restic 0.14 prints its per-file errors as JSON lines on standard error.
    for (const line of output.stderr.split('\n')) {
      const message = parseJsonLine(line)
      if (message?.message_type === 'error') {
        addReadError(errors, message, sourcePath, rootName)
      }
    }

    if (summary === undefined) {
      throw new CofferError(
        'INTERNAL',
        `restic backup of ${sourcePath} exited with code ${output.exitCode} but printed no summary. Check the restic version and the job log`
      )
    }

    let snapshot = await findBackupSnapshot(repository, request.snapshotId, summary.snapshot_id)
    const warnings = [...errors]
    if (output.exitCode === EXIT_INCOMPLETE) {
      snapshot = await markIncomplete(repository, request.snapshotId, snapshot)
      warnings.push({
        code: 'INCOMPLETE_SNAPSHOT',
        message: `snapshot ${request.snapshotId} is incomplete: restic could not read ${errors.length} source entries (listed in the other warnings). It is tagged ${INCOMPLETE_TAG}`,
      })
    }

    warnings.push(
      ...(await compareSourceWithSnapshot(repository, snapshot.id, sourcePath, rootName))
    )

    const artifactKey = `${REPOSITORY_KEY}/snapshots/${snapshot.id}`
    const artifact = await context.storage.stat(artifactKey, { signal: context.signal })
    context.log('info', 'restic backup finished', {
      snapshotId: request.snapshotId,
      engineSnapshotId: snapshot.id,
      warnings: warnings.length,
    })

    return {
      snapshot: {
        id: request.snapshotId,
        engineSnapshotId: snapshot.id,
        // restic names each repository file by the sha256 of its content.
        artifacts: [
          { key: artifactKey, size: artifact?.size ?? 0, sha256: snapshot.id, role: 'snapshot' },
        ],
      },
      stats: {
        files: summary.files_new + summary.files_changed + summary.files_unmodified,
        directories: summary.dirs_new + summary.dirs_changed + summary.dirs_unmodified,
        bytesRead: summary.total_bytes_processed,
        bytesStored: summary.data_added,
      },
      warnings,
    }
  } finally {
    await repository.close()
  }
}

async function checkSource(request: BackupRequest) {
  if (request.source.kind !== 'path') {
    throw new CofferError(
      'UNSUPPORTED',
      `the restic engine backs up folders only, not a source of kind "${request.source.kind}". Pass the volume's mount point`
    )
  }

  const sourcePath = path.resolve(request.source.path)
  const rootName = path.basename(sourcePath)
  const stats = await fs.stat(sourcePath).catch(() => null)
  if (stats === null || !stats.isDirectory() || rootName === '') {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `backup source "${request.source.path}" is not a folder below "/". Pass the volume's mount point`
    )
  }

  return { sourcePath, parent: path.dirname(sourcePath), rootName }
}

function reportProgress(context: EngineContext, message: Record<string, unknown>): void {
  context.progress({
    phase: 'backup',
    bytesDone: Number(message.bytes_done ?? 0),
    bytesTotal: message.total_bytes === undefined ? undefined : Number(message.total_bytes),
    filesDone: Number(message.files_done ?? 0),
    filesTotal: message.total_files === undefined ? undefined : Number(message.total_files),
  })
}

/** Adds one warning per source entry restic could not read, with the path made relative. */
function addReadError(
  errors: EngineWarning[],
  message: Record<string, unknown>,
  sourcePath: string,
  rootName: string
): void {
  const item = typeof message.item === 'string' ? message.item : ''
  const relative = relativeItem(item, sourcePath, rootName)
  if (errors.some((warning) => warning.path === relative)) {
    return
  }

  errors.push({
    code: 'UNREADABLE',
    path: relative,
    message: `could not read "${relative}" during ${String(message.during ?? 'backup')}: ${describeError(message.error)}`,
  })
}

function relativeItem(item: string, sourcePath: string, rootName: string): string {
  if (path.isAbsolute(item)) {
    const relative = path.relative(sourcePath, item)
    return relative === '' ? '.' : relative
  }

  if (item === rootName) {
    return '.'
  }

  return item.startsWith(`${rootName}/`) ? item.slice(rootName.length + 1) : item
}

/** Turns restic's JSON error object (Go's `*PathError`, or `{}`) into words. */
function describeError(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const record = error as Record<string, unknown>
    if (typeof record.message === 'string') {
      return record.message
    }

    if (typeof record.Err === 'number') {
      const name = Object.entries(osConstants.errno).find(([, value]) => value === record.Err)?.[0]
      return `${String(record.Op ?? 'read')} failed with ${name ?? `errno ${record.Err}`}`
    }
  }

  return 'restic reported no detail (usually permission denied)'
}

async function findBackupSnapshot(
  repository: ResticRepository,
  snapshotId: string,
  shortId: string
): Promise<ResticSnapshot> {
  const snapshots = await listResticSnapshots(repository, encodeTag(SNAPSHOT_TAG, snapshotId))
  const snapshot = snapshots.find((candidate) => candidate.id.startsWith(shortId))
  if (snapshot === undefined) {
    throw new CofferError(
      'INTERNAL',
      `restic reported snapshot ${shortId} but the repository at ${repository.name} does not list it`
    )
  }

  return snapshot
}

/** Tags the snapshot as incomplete; restic rewrites a tagged snapshot under a new id. */
async function markIncomplete(
  repository: ResticRepository,
  snapshotId: string,
  snapshot: ResticSnapshot
): Promise<ResticSnapshot> {
  const incompleteTag = encodeTag(INCOMPLETE_TAG, 'true')
  await repository.run('tag', ['--add', incompleteTag, snapshot.id])
  const snapshots = await listResticSnapshots(repository, encodeTag(SNAPSHOT_TAG, snapshotId))
  const tagged = snapshots.find((candidate) => candidate.tags?.includes(incompleteTag))
  if (tagged === undefined) {
    throw new CofferError(
      'INTERNAL',
      `could not find snapshot ${snapshotId} after tagging it ${INCOMPLETE_TAG} in ${repository.name}`
    )
  }

  return tagged
}
