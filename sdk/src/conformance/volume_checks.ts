import fs from 'node:fs/promises'
import path from 'node:path'
import type { BackupResult, EngineCapabilities, RestoreResult, SnapshotRef } from '../contract.js'
import type { StorageObject } from '../storage.js'
import { type CheckRunner, SkipCheck } from './check_runner.js'
import type { CorpusVolume } from './corpus.js'
import { ADDED_ENTRIES, disturb } from './disturb.js'
import { backupFolder, callEngine, type CallSettings } from './engine_calls.js'
import { compareTrees } from './compare_trees.js'
import { checkListing } from './listing_checks.js'
import { displayPath } from './path_bytes.js'
import { listStored, objectsWritten } from './stored_objects.js'
import { checkTarStream } from './tar_stream_checks.js'
import {
  type BackupFacts,
  checkArtifacts,
  checkGrowingFiles,
  compareRestored,
  isUnder,
  warningNames,
} from './tree_checks.js'
import { treeDigest, type TreeDigest } from './tree_digest.js'
import { checkVerify } from './verify_checks.js'

/** State shared by the checks of one volume. */
export interface VolumeRun {
  volume: CorpusVolume
  settings: CallSettings
  capabilities: EngineCapabilities
  checks: CheckRunner
  /** Folder for this volume's restore targets. */
  workDir: string
  backup?: BackupResult
  source?: TreeDigest
  /** Storage objects that the first backup created, which the corruption check may alter. */
  written: StorageObject[]
}

/** Runs every operation of the engine on one corpus volume and records the checks. */
export async function checkVolume(
  volume: CorpusVolume,
  settings: CallSettings,
  capabilities: EngineCapabilities,
  checks: CheckRunner,
  workDir: string
): Promise<void> {
  const run: VolumeRun = { volume, settings, capabilities, checks, workDir, written: [] }
  await fs.mkdir(workDir, { recursive: true })
  const name = (check: string) => `${volume.name}: ${check}`

  const backedUp = await checks.run(name('backup'), () => backupVolume(run))
  if (!backedUp && run.backup === undefined) {
    return
  }

  await checks.run(name('listSnapshots'), () => checkListed(run, run.backup!.snapshot, true))
  await checks.run(name('listFiles'), () => checkListing(run))
  await checks.run(name('restore all'), () => checkRestoreAll(run))
  await checks.run(name('restore some paths'), () => checkRestoreSome(run))
  await checks.run(name('restore replace'), () => checkReplace(run))
  await checks.run(name('restore merge'), () => checkMerge(run))
  await checkVerify(run.backup!.snapshot, run.written, settings, capabilities, checks, name)
  await checks.run(name('forget'), () => checkForget(run))
  if (settings.sourceKind === 'path' && capabilities.sources.includes('tar-stream')) {
    await checkTarStream(volume, settings, checks, path.join(workDir, 'tar-stream'))
  }
}

/** Returns the facts of the volume's first backup that restore comparisons need. */
function backupFacts(run: VolumeRun): BackupFacts {
  return { warnings: run.backup!.warnings, sourceKind: run.settings.sourceKind }
}

async function backupVolume(run: VolumeRun): Promise<string[]> {
  const { volume } = run
  const initialSizes = new Map<string, number>()
  for (const relative of volume.growingPaths) {
    initialSizes.set(relative, (await fs.stat(path.join(volume.path, relative))).size)
  }

  const storedBefore = await listStored(run.settings.storage)
  const activity = await volume.startActivity?.()
  const snapshotId = `conformance-${volume.name}-1`
  try {
    run.backup = await backupFolder(run.settings, {
      snapshotId,
      folder: volume.path,
      tags: { volume: volume.name },
    })
  } finally {
    await activity?.stop()
  }

  run.source = await treeDigest(volume.path)
  run.written = objectsWritten(storedBefore, await listStored(run.settings.storage))
  growingSizes.set(run, initialSizes)

  const problems: string[] = []
  if (run.backup.snapshot.id !== snapshotId) {
    const returned = JSON.stringify(run.backup.snapshot.id)
    problems.push(`snapshot id ${returned} returned, ${snapshotId} requested`)
  }

  problems.push(...(await checkArtifacts(run.settings.storage, run.backup.snapshot)))
  // A tar stream does not tell the engine that a file grew while tar read it.
  const growingPaths = run.settings.sourceKind === 'path' ? volume.growingPaths : []
  for (const relative of growingPaths) {
    if (!warningNames(run.backup.warnings, relative)) {
      problems.push(`no warning names ${displayPath(relative)}, which grew during the backup`)
    }
  }

  return problems
}

const growingSizes = new WeakMap<VolumeRun, Map<string, number>>()

async function checkListed(run: VolumeRun, snapshot: SnapshotRef, present: boolean) {
  const snapshots = await callEngine(run.settings, 'listSnapshots', (context) =>
    run.settings.engine.listSnapshots(context)
  )
  const found = snapshots.find((stored) => stored.id === snapshot.id)
  if (!present) {
    return found ? [`snapshot ${snapshot.id} is still listed after forget`] : []
  }

  if (found === undefined) {
    const ids = JSON.stringify(snapshots.map((stored) => stored.id))
    return [`snapshot ${snapshot.id} missing from listSnapshots (listed: ${ids})`]
  }

  if (found.tags.volume !== run.volume.name) {
    const listed = JSON.stringify(found.tags.volume)
    return [
      `snapshot ${snapshot.id}: tag volume listed ${listed}, backed up with ${run.volume.name}`,
    ]
  }

  return []
}

/** Restores `snapshot` into `target` and checks that nothing beside `target` changed. */
async function restoreInto(
  run: VolumeRun,
  target: string,
  mode: 'replace' | 'merge',
  paths?: string[]
): Promise<{ result: RestoreResult; problems: string[] }> {
  const parent = path.dirname(target)
  await fs.mkdir(target, { recursive: true })
  await fs.writeFile(path.join(parent, 'canary.txt'), 'a restore must not touch this file\n')
  const before = await treeDigest(parent)

  const result = await callEngine(run.settings, 'restore', (context) =>
    run.settings.engine.restore(context, { snapshot: run.backup!.snapshot, target, mode, paths })
  )

  const after = await treeDigest(parent)
  const targetName = displayPath(path.basename(target)).slice(0, -1)
  const inTarget = (shown: string) =>
    shown === `${targetName}"` || shown.startsWith(`${targetName}/`)
  const problems = compareTrees(before, after, {
    skipPath: inTarget,
    labels: { expected: 'original', actual: 'current' },
  }).map((difference) => `restore changed something outside the target: ${difference}`)

  if (result.rejected.length > 0) {
    problems.push(
      `restore rejected entries of a clean snapshot: ${JSON.stringify(result.rejected)}`
    )
  }

  return { result, problems }
}

async function checkRestoreAll(run: VolumeRun): Promise<string[]> {
  const target = path.join(run.workDir, 'restore-all', 'target')
  const { problems } = await restoreInto(run, target, 'replace')
  const restored = await treeDigest(target)
  problems.push(...compareRestored(run.volume, run.source!, restored, backupFacts(run)))
  problems.push(...(await checkGrowingFiles(run.volume, target, growingSizes.get(run)!)))
  return problems
}

async function checkRestoreSome(run: VolumeRun): Promise<string[]> {
  if (run.capabilities.partialRestore === false) {
    throw new SkipCheck('the engine does not declare partialRestore')
  }

  const paths = run.volume.partialPaths
  if (paths.length === 0) {
    throw new SkipCheck('the volume has no paths for a partial restore')
  }

  const target = path.join(run.workDir, 'restore-some', 'target')
  const { problems } = await restoreInto(run, target, 'replace', paths)
  const restored = await treeDigest(target)

  // Folders above the chosen paths must exist, but their metadata is not part of the request.
  const ancestors = new Set(['"."'])
  for (const relative of paths) {
    const parts = relative.split('/')
    for (let depth = 1; depth < parts.length; depth++) {
      ancestors.add(displayPath(parts.slice(0, depth).join('/')))
    }
  }

  problems.push(
    ...compareRestored(run.volume, run.source!, restored, backupFacts(run), {
      skipPath: (shown) => ancestors.has(shown) || !isUnder(shown, paths),
      // Hard-link groups are relabelled when some of their names were not restored.
      ignore: (_shown, field) => field === 'hardLinkGroup',
    })
  )
  return problems
}

async function checkReplace(run: VolumeRun): Promise<string[]> {
  const target = path.join(run.workDir, 'restore-all', 'target')
  await disturb(target, run.source!)

  const { problems } = await restoreInto(run, target, 'replace')
  const restored = await treeDigest(target)
  problems.push(...compareRestored(run.volume, run.source!, restored, backupFacts(run)))
  return problems
}

async function checkMerge(run: VolumeRun): Promise<string[]> {
  const target = path.join(run.workDir, 'restore-all', 'target')
  const added = [...ADDED_ENTRIES]
  await disturb(target, run.source!)

  const { result, problems } = await restoreInto(run, target, 'merge')
  const restored = await treeDigest(target)
  const isAdded = (shown: string) => isUnder(shown, added)
  problems.push(
    ...compareRestored(run.volume, run.source!, restored, backupFacts(run), {
      skipPath: isAdded,
    })
  )

  for (const relative of ['added-by-kit.txt', 'added-folder/inner/file']) {
    const exists = await fs.lstat(path.join(target, relative)).then(
      () => true,
      () => false
    )
    if (!exists) {
      problems.push(`merge removed ${relative}, which the snapshot does not contain`)
    }
  }

  const left = new Set(
    result.leftInPlace.map((entry) => entry.replace(/^\.\//, '').replace(/\/+$/, ''))
  )
  for (const relative of added) {
    const reported =
      left.has(relative) || [...left].some((entry) => entry.startsWith(`${relative}/`))
    if (!reported) {
      problems.push(
        `leftInPlace does not report ${relative} (reported: ${JSON.stringify(result.leftInPlace)})`
      )
    }
  }

  return problems
}

async function checkForget(run: VolumeRun): Promise<string[]> {
  const { engine } = run.settings
  const first = run.backup!.snapshot
  const second = await backupFolder(run.settings, {
    snapshotId: `conformance-${run.volume.name}-2`,
    folder: run.volume.path,
    tags: { volume: run.volume.name },
  })

  await callEngine(run.settings, 'forget', (context) =>
    engine.forget(context, { snapshots: [first] })
  )
  const problems = await checkListed(run, first, false)
  problems.push(...(await checkListed(run, second.snapshot, true)))

  const kept = new Set(second.snapshot.artifacts.map((artifact) => artifact.key))
  for (const artifact of first.artifacts) {
    if (!kept.has(artifact.key) && (await run.settings.storage.stat(artifact.key)) !== null) {
      problems.push(`artifact ${artifact.key} of the forgotten snapshot is still stored`)
    }
  }

  problems.push(...(await checkArtifacts(run.settings.storage, second.snapshot)))
  await callEngine(run.settings, 'forget', (context) =>
    engine.forget(context, { snapshots: [second.snapshot] })
  )
  problems.push(...(await checkListed(run, second.snapshot, false)))
  return problems
}
