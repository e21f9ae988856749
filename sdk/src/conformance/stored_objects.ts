import type { Storage, StorageObject } from '../storage.js'

/**
 * Lists every object in `storage`, or returns null when the driver cannot list from the root.
 * The corruption check then falls back to the snapshot's artifacts.
 */
export async function listStored(storage: Storage): Promise<StorageObject[] | null> {
  try {
    return await storage.list('')
  } catch {
    return null
  }
}

/** Returns the objects in `after` that were absent from `before`, or changed size since. */
export function objectsWritten(
  before: StorageObject[] | null,
  after: StorageObject[] | null
): StorageObject[] {
  if (before === null || after === null) {
    return []
  }

  const sizes = new Map(before.map((object) => [object.key, object.size]))
  return after.filter((object) => sizes.get(object.key) !== object.size)
}
