import fs from 'node:fs/promises'
import path from 'node:path'
import type { RestoreResult, SnapshotRef } from '../contract.js'
import { type CheckRunner, SkipCheck } from './check_runner.js'
import { compareTrees } from './compare_trees.js'
import { backupFolder, callEngine, describeError, type CallSettings } from './engine_calls.js'
import {
  checkContained,
  createHostileLayout,
  digestOutside,
  hostileCases,
  type HostileArtifactsHook,
  type HostileKind,
  type HostileLayout,
} from './hostile.js'
import { carriedBy } from './sources.js'
import { treeDigest } from './tree_digest.js'

/**
 * Restores a snapshot with real folders `evil/` and `evil-relative/` over a target where those
 * names are symbolic links to a folder outside, in merge and in replace mode. Nothing may be
 * written through the links.
 */
export async function checkLinkThenFolder(
  settings: CallSettings,
  checks: CheckRunner,
  workDir: string
) {
  const sources = path.join(workDir, 'sources')
  const withLinks = path.join(sources, 'links')
  const withFolders = path.join(sources, 'folders')
  const probe = await createHostileLayout(path.join(workDir, 'probe'))

  await fs.mkdir(withLinks, { recursive: true })
  await fs.symlink(probe.outside, path.join(withLinks, 'evil'))
  await fs.symlink('../outside', path.join(withLinks, 'evil-relative'))
  for (const name of ['evil', 'evil-relative']) {
    await fs.mkdir(path.join(withFolders, name), { recursive: true })
    await fs.writeFile(path.join(withFolders, name, 'payload.txt'), 'must stay inside the target\n')
  }

  const snapshots: SnapshotRef[] = []
  const backedUp = await checks.run('hostile: backup link and folder snapshots', async () => {
    for (const [index, folder] of [withLinks, withFolders].entries()) {
      const result = await backupFolder(settings, {
        snapshotId: `conformance-hostile-${index + 1}`,
        folder,
        tags: { volume: 'hostile' },
      })
      snapshots.push(result.snapshot)
    }
  })
  if (!backedUp) {
    return
  }

  for (const mode of ['merge', 'replace'] as const) {
    await checks.run(`hostile: folder over a link, ${mode}`, async () => {
      const layout = await createHostileLayout(path.join(workDir, mode))
      // The links snapshot points `evil` at the probe's outside folder; point it at this one.
      await restore(settings, snapshots[0], layout.target, 'replace')
      await fs.rm(path.join(layout.target, 'evil'))
      await fs.symlink(layout.outside, path.join(layout.target, 'evil'))

      const before = await digestOutside(layout)
      const result = await restore(settings, snapshots[1], layout.target, mode)
      const problems = await checkContained(layout, before, result, [])
      problems.push(...(await checkPayloads(layout, result)))
      if (mode === 'replace') {
        const differences = compareTrees(
          carriedBy(settings.sourceKind, await treeDigest(withFolders)),
          await treeDigest(layout.target),
          {
            labels: { expected: 'source', actual: 'restored' },
            ignore: (shown, field) => shown === '"."' && (field === 'mtime' || field === 'mode'),
          }
        )
        problems.push(...differences.map((difference) => `replace result differs: ${difference}`))
      }

      return problems
    })
  }

  await callEngine(settings, 'forget', (context) => settings.engine.forget(context, { snapshots }))
}

async function checkPayloads(layout: HostileLayout, result: RestoreResult): Promise<string[]> {
  const problems: string[] = []
  for (const name of ['evil', 'evil-relative']) {
    const info = await fs.lstat(path.join(layout.target, name)).catch(() => null)
    const rejected = result.rejected.some((entry) =>
      entry.path.replace(/^\.\//, '').startsWith(name)
    )
    if (info?.isDirectory() !== true && !rejected) {
      problems.push(`${name} is not a folder after the restore and no entry of it was rejected`)
    }
  }

  return problems
}

/**
 * Runs every hostile case through the engine's `hostileArtifacts` hook, once restored in merge
 * mode and once in replace mode, each into a fresh target.
 */
export async function checkHostileArtifacts(
  settings: CallSettings,
  checks: CheckRunner,
  workDir: string,
  hook: HostileArtifactsHook | undefined
): Promise<void> {
  const kinds = hostileCases(await createHostileLayout(path.join(workDir, 'kinds'))).map(
    (hostileCase) => hostileCase.kind
  )
  for (const kind of kinds) {
    for (const mode of ['merge', 'replace'] as const) {
      await checks.run(`hostile: ${kind}, ${mode}`, () =>
        checkHostileCase(settings, path.join(workDir, `${kind}-${mode}`), kind, mode, hook)
      )
    }
  }
}

async function checkHostileCase(
  settings: CallSettings,
  workDir: string,
  kind: HostileKind,
  mode: 'merge' | 'replace',
  hook: HostileArtifactsHook | undefined
): Promise<string[]> {
  if (hook === undefined) {
    throw new SkipCheck('no hostileArtifacts hook was given, so no hostile archive was built')
  }

  const layout = await createHostileLayout(workDir)
  const hostileCase = {
    ...hostileCases(layout).find((candidate) => candidate.kind === kind)!,
    snapshotId: `conformance-hostile-${kind}-${mode}`,
  }
  const snapshot = await callEngine(settings, 'hostileArtifacts', (context) =>
    hook(hostileCase, context, settings.engine)
  )
  if (snapshot === null) {
    throw new SkipCheck(
      `the engine's format cannot express a ${kind} entry (the hostileArtifacts hook returned null)`
    )
  }

  const before = await digestOutside(layout)
  let result: RestoreResult | undefined
  const problems: string[] = []
  try {
    result = await restore(settings, snapshot, layout.target, mode)
  } catch (error) {
    problems.push(`restore threw instead of rejecting the entries: ${describeError(error)}`)
  }

  problems.push(...(await checkContained(layout, before, result, hostileCase.expectRejected)))
  await callEngine(settings, 'forget', (context) =>
    settings.engine.forget(context, { snapshots: [snapshot] })
  ).catch(() => {})
  return problems
}

function restore(
  settings: CallSettings,
  snapshot: SnapshotRef,
  target: string,
  mode: 'replace' | 'merge'
) {
  return callEngine(settings, 'restore', (context) =>
    settings.engine.restore(context, { snapshot, target, mode })
  )
}
