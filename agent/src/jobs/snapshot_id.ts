import { createHash } from 'node:crypto'

/**
 * Derives the snapshot id of a resource's second and later volumes from the job's snapshot id and
 * the volume's key, so a retried job produces the same ids. The result is a UUID (version 8,
 * the layout RFC 9562 leaves to the application) made from a sha256 of both.
 */
export function volumeSnapshotId(snapshotId: string, volumeKey: string, index: number): string {
  if (index === 0) {
    return snapshotId
  }

  const bytes = createHash('sha256').update(`${snapshotId}\n${volumeKey}`).digest().subarray(0, 16)
  bytes[6] = (bytes[6] & 0x0f) | 0x80
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
