import { isCofferError } from '@coffer/sdk'
import type { EngineContext, FileEntry, ListFilesRequest, StoredSnapshot } from '@coffer/sdk'
import { findLinkTargets } from './link_targets.js'
import { forEachNode, toFileEntry } from './nodes.js'
import { REPOSITORY_KEY, ResticRepository } from './repository.js'
import type { ResticEngineConfig } from './repository.js'
import { findSnapshot, listResticSnapshots, rootNameOf, toStoredSnapshot } from './snapshots.js'

/**
 * Lists every snapshot in the destination's repository. A destination with nothing under
 * `repository/` yet has no snapshots; a folder there that is not a repository is an error.
 */
export async function listSnapshots(
  context: EngineContext,
  config: ResticEngineConfig
): Promise<StoredSnapshot[]> {
  let repository: ResticRepository
  try {
    repository = await ResticRepository.open(context, config, { create: false })
  } catch (error) {
    if (!isCofferError(error, 'REPOSITORY_MISSING')) {
      throw error
    }

    const objects = await context.storage.list(`${REPOSITORY_KEY}/`, { signal: context.signal })
    if (objects.length === 0) {
      return []
    }

    throw error
  }

  try {
    const snapshots = await listResticSnapshots(repository)
    return snapshots.map(toStoredSnapshot)
  } finally {
    await repository.close()
  }
}

/**
 * Lists the entries of a snapshot, relative to the volume root, optionally only under `prefix`.
 *
 * NOTE: restic 0.14 prints no inode numbers, so hard links are listed as plain files.
 */
export async function listFiles(
  context: EngineContext,
  config: ResticEngineConfig,
  request: ListFilesRequest
): Promise<FileEntry[]> {
  const repository = await ResticRepository.open(context, config, { create: false })
  try {
    const snapshot = await findSnapshot(repository, request.snapshot)
    const rootName = rootNameOf(snapshot)
    const prefix = request.prefix?.replace(/^\/+|\/+$/g, '') ?? ''

    const entries: FileEntry[] = []
    const linkNames = new Set<string>()
    await forEachNode(repository, snapshot.id, (node) => {
      const entry = toFileEntry(node, rootName)
      if (entry === null) {
        return
      }

      if (prefix === '' || entry.path === prefix || entry.path.startsWith(`${prefix}/`)) {
        entries.push(entry)
        if (entry.type === 'symlink') {
          linkNames.add(node.name)
        }
      }
    })

    if (linkNames.size === 0) {
      return entries
    }

    const targets = await findLinkTargets(repository, snapshot.id, [...linkNames])
    for (const entry of entries) {
      if (entry.type === 'symlink') {
        entry.linkTarget = targets.get(`/${rootName}/${entry.path}`)
      }
    }

    return entries
  } finally {
    await repository.close()
  }
}
