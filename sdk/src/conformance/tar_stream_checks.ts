import fs from 'node:fs/promises'
import path from 'node:path'
import type { BackupResult } from '../contract.js'
import type { CheckRunner } from './check_runner.js'
import type { CorpusVolume } from './corpus.js'
import { backupFolder, callEngine, describeError, type CallSettings } from './engine_calls.js'
import { checkArtifacts, checkGrowingFiles, compareRestored } from './tree_checks.js'
import { treeDigest, type TreeDigest } from './tree_digest.js'

/**
 * Backs up the volume a second time from a tar stream made by GNU tar, restores that snapshot
 * into an empty target and compares it with what the stream carries. Runs for engines that
 * accept both `path` and `tar-stream`, whose other checks all read the folder.
 */
export async function checkTarStream(
  volume: CorpusVolume,
  settings: CallSettings,
  checks: CheckRunner,
  workDir: string
): Promise<void> {
  const name = (check: string) => `${volume.name}: ${check}`
  const snapshotId = `conformance-${volume.name}-tar`
  const initialSizes = new Map<string, number>()
  let backup: BackupResult | undefined
  let source: TreeDigest | undefined

  await checks.run(name('tar-stream backup'), async () => {
    for (const relative of volume.growingPaths) {
      initialSizes.set(relative, (await fs.stat(path.join(volume.path, relative))).size)
    }

    const activity = await volume.startActivity?.()
    try {
      backup = await backupFolder(settings, {
        snapshotId,
        folder: volume.path,
        tags: { volume: volume.name },
        sourceKind: 'tar-stream',
      })
    } finally {
      await activity?.stop()
    }

    source = await treeDigest(volume.path)
    const problems = await checkArtifacts(settings.storage, backup.snapshot)
    if (backup.snapshot.id !== snapshotId) {
      const returned = JSON.stringify(backup.snapshot.id)
      problems.push(`snapshot id ${returned} returned, ${snapshotId} requested`)
    }

    return problems
  })
  if (backup === undefined || source === undefined) {
    return
  }

  const snapshot = backup.snapshot
  await checks.run(name('tar-stream restore all'), async () => {
    const target = path.join(workDir, 'target')
    await fs.mkdir(target, { recursive: true })
    const problems: string[] = []
    try {
      const result = await callEngine(settings, 'restore', (context) =>
        settings.engine.restore(context, { snapshot, target, mode: 'replace' })
      )
      if (result.rejected.length > 0) {
        const rejected = JSON.stringify(result.rejected)
        problems.push(`restore rejected entries of a clean snapshot: ${rejected}`)
      }

      const restored = await treeDigest(target)
      const facts = { warnings: backup!.warnings, sourceKind: 'tar-stream' as const }
      problems.push(...compareRestored(volume, source!, restored, facts))
      problems.push(...(await checkGrowingFiles(volume, target, initialSizes)))
    } finally {
      await callEngine(settings, 'forget', (context) =>
        settings.engine.forget(context, { snapshots: [snapshot] })
      ).catch((error: unknown) => {
        problems.push(`forget of the tar-stream snapshot threw ${describeError(error)}`)
      })
    }

    return problems
  })
}
