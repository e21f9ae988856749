import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { Artifact, EngineContext, StoredSnapshot } from '@coffer/sdk'
import type { Compression } from './options.js'

/** Content of `snapshot.json`, written last so its presence marks a complete snapshot. */
export interface SnapshotMetadata {
  id: string
  time: Date
  tags: Record<string, string>
  compression: Compression
  encrypted: boolean
}

/** Uploads `snapshot.json` and returns it as an artifact of role `metadata`. */
export async function writeSnapshotMetadata(
  context: EngineContext,
  key: string,
  metadata: SnapshotMetadata
): Promise<Artifact> {
  const body = Buffer.from(
    JSON.stringify({
      format: 'coffer-tar-snapshot',
      version: 1,
      id: metadata.id,
      time: metadata.time.toISOString(),
      tags: metadata.tags,
      compression: metadata.compression,
      encrypted: metadata.encrypted,
    }) + '\n'
  )
  const { size } = await context.storage.put(key, Readable.from([body]), { signal: context.signal })
  return { key, size, sha256: createHash('sha256').update(body).digest('hex'), role: 'metadata' }
}

/** Parses `snapshot.json`; returns null when it is not a coffer/tar snapshot record. */
export function parseSnapshotMetadata(text: string): StoredSnapshot | null {
  let value: Record<string, unknown>
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }

  if (
    value.format !== 'coffer-tar-snapshot' ||
    typeof value.id !== 'string' ||
    typeof value.time !== 'string'
  ) {
    return null
  }

  return {
    id: value.id,
    time: new Date(value.time),
    tags: (value.tags as Record<string, string>) ?? {},
  }
}
