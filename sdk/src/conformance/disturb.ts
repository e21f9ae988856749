import fs from 'node:fs/promises'
import { joinBytes } from './path_bytes.js'
import type { TreeDigest, TreeEntry } from './tree_digest.js'

/** Entries that `disturb` adds at the top of the target, which the snapshot does not contain. */
export const ADDED_ENTRIES = ['added-by-kit.txt', 'added-folder'] as const

/**
 * Changes a restored tree so a restore has something to put back. It adds a file and a folder
 * with a file in it, rewrites one file and makes it mode 0606, and removes another. It also gives
 * a third file another owner and changes one folder's mode, both without changing content or
 * mtime, so an engine that skips entries whose size and mtime match still has to put them back.
 */
export async function disturb(target: string, source: TreeDigest): Promise<void> {
  await fs.writeFile(`${target}/added-by-kit.txt`, 'added after the snapshot\n')
  await fs.mkdir(`${target}/added-folder/inner`, { recursive: true })
  await fs.writeFile(`${target}/added-folder/inner/file`, 'added\n')

  const entries = [...source.entries.values()]
  const files = entries.filter((entry) => entry.type === 'file' && !entry.hardLinkGroup)
  const absolute = (entry: TreeEntry) => joinBytes(target, entry.path)

  const [changed, removed, chowned] = files
  if (changed !== undefined) {
    await fs.writeFile(absolute(changed), 'changed after the snapshot\n')
    await fs.chmod(absolute(changed), 0o606)
  }

  if (removed !== undefined) {
    await fs.rm(absolute(removed))
  }

  if (chowned !== undefined) {
    const owner = chowned.uid === 4242 ? 4243 : 4242
    await fs.lchown(absolute(chowned), owner, owner)
  }

  const folder = entries.find(
    (entry) => entry.type === 'directory' && entry.path.toString() !== '.'
  )
  if (folder !== undefined) {
    await fs.chmod(absolute(folder), folder.mode === 0o700 ? 0o755 : 0o700)
  }
}
