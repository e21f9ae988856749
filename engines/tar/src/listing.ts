import type { EngineContext, FileEntry, ListFilesRequest, StoredSnapshot } from '@coffer/sdk'
import { CofferError } from '@coffer/sdk'
import { readIndex } from './index_file.js'
import { artifactOf, formatOf, METADATA_NAME, requireKeyFor, SNAPSHOTS_PREFIX } from './layout.js'
import { parseSnapshotMetadata } from './metadata.js'
import { parseOptions } from './options.js'
import { isUnder, textToPath } from './paths.js'

/**
 * Lists the complete snapshots at the destination: those whose `snapshot.json` exists (it is
 * written last). Snapshots still being written, or whose backup failed midway, are left out.
 */
export async function listSnapshots(context: EngineContext): Promise<StoredSnapshot[]> {
  const objects = await context.storage.list(SNAPSHOTS_PREFIX, { signal: context.signal })
  const snapshots: StoredSnapshot[] = []

  for (const object of objects) {
    const parts = object.key.slice(SNAPSHOTS_PREFIX.length).split('/')
    if (parts.length !== 2 || parts[1] !== METADATA_NAME) {
      continue
    }

    const body = await context.storage.get(object.key, { signal: context.signal })
    const chunks: Buffer[] = []
    for await (const chunk of body) {
      chunks.push(chunk as Buffer)
    }

    const snapshot = parseSnapshotMetadata(Buffer.concat(chunks).toString('utf8'))
    if (!snapshot || snapshot.id !== parts[0]) {
      context.log('warn', 'skipped a snapshot record that is not valid', { key: object.key })
      continue
    }
    snapshots.push(snapshot)
  }

  snapshots.sort((left, right) => left.time.getTime() - right.time.getTime())
  return snapshots
}

/** Lists a snapshot's entries from its index, without reading the archive. */
export async function listFiles(
  context: EngineContext,
  request: ListFilesRequest
): Promise<FileEntry[]> {
  const options = parseOptions(context.options)
  const artifact = artifactOf(request.snapshot, 'index')
  const format = formatOf(artifact)
  requireKeyFor(format, options, request.snapshot.id)

  const prefix = textToPath((request.prefix ?? '').replace(/^\/+|\/+$/g, ''))
  const body = await context.storage.get(artifact.key, { signal: context.signal })
  const files: FileEntry[] = []

  for await (const line of readIndex(body, format, options.encryptionKey)) {
    if (line.kind !== 'entry' || line.entry.t === 'unknown') {
      continue
    }

    const entry = line.entry
    if (!isUnder(textToPath(entry.p), prefix)) {
      continue
    }

    const file: FileEntry = {
      path: entry.p,
      type: entry.t as FileEntry['type'],
      size: entry.s,
      mode: entry.m,
      uid: entry.u,
      gid: entry.g,
      mtime: new Date(Math.round(entry.mt * 1000)),
    }
    if (entry.l !== undefined) {
      file.linkTarget = entry.l
    }
    files.push(file)
  }

  if (files.length === 0 && prefix.length > 0) {
    throw new CofferError(
      'NOT_FOUND',
      `snapshot ${request.snapshot.id} has no entry under ${JSON.stringify(request.prefix)}`
    )
  }

  return files
}
