import type { Artifact, SnapshotRef } from '@coffer/sdk'
import { CofferError } from '@coffer/sdk'
import { COMPRESSION_SUFFIX } from './compression.js'
import type { Compression, TarOptions } from './options.js'

/** Folder of every snapshot's artifacts, relative to the engine's storage root. */
export const SNAPSHOTS_PREFIX = 'snapshots/'

/** Name of the small JSON object that marks a complete snapshot and carries its time and tags. */
export const METADATA_NAME = 'snapshot.json'

/** How a snapshot's artifacts were written, read back from their keys. */
export interface ArtifactFormat {
  compression: Compression
  encrypted: boolean
}

/** Raises `INVALID_ARGUMENT` unless the id is safe as one storage key segment. */
export function assertSnapshotId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `invalid snapshot id ${JSON.stringify(id)}: use 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit`
    )
  }
}

/** Returns the storage keys of a new snapshot's artifacts. */
export function snapshotKeys(
  id: string,
  options: TarOptions
): { archive: string; index: string; metadata: string } {
  const suffix = COMPRESSION_SUFFIX[options.compression] + (options.encrypt ? '.enc' : '')
  const folder = `${SNAPSHOTS_PREFIX}${id}/`
  return {
    archive: `${folder}archive.tar${suffix}`,
    index: `${folder}index.ndjson${suffix}`,
    metadata: `${folder}${METADATA_NAME}`,
  }
}

/** Finds the artifact of a role in a snapshot, raising `NOT_FOUND` when the host did not record it. */
export function artifactOf(snapshot: SnapshotRef, role: string): Artifact {
  const artifact = snapshot.artifacts.find((candidate) => candidate.role === role)
  if (!artifact) {
    throw new CofferError(
      'NOT_FOUND',
      `snapshot ${snapshot.id} has no ${role} artifact; pass the artifacts that backup returned`
    )
  }

  if (!artifact.key.startsWith(`${SNAPSHOTS_PREFIX}${snapshot.id}/`)) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `artifact key ${JSON.stringify(artifact.key)} is outside snapshot ${snapshot.id}'s folder`
    )
  }

  return artifact
}

/** Reads compression and encryption from an artifact key such as `archive.tar.zst.enc`. */
export function formatOf(artifact: Artifact): ArtifactFormat {
  let key = artifact.key
  const encrypted = key.endsWith('.enc')
  if (encrypted) {
    key = key.slice(0, -4)
  }

  if (key.endsWith('.zst')) {
    return { compression: 'zstd', encrypted }
  }

  if (key.endsWith('.gz')) {
    return { compression: 'gzip', encrypted }
  }

  return { compression: 'none', encrypted }
}

/** Checks that the options hold a key when the snapshot is encrypted. */
export function requireKeyFor(
  format: ArtifactFormat,
  options: TarOptions,
  snapshotId: string
): void {
  if (format.encrypted && !options.encryptionKey) {
    throw new CofferError(
      'WRONG_KEY',
      `snapshot ${snapshotId} is encrypted but the destination has no encryptionKey; set encryption with the original key`
    )
  }
}
