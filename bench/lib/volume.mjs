// Generates mixed test volumes (compressible text and random bytes, many small files and a few
// large ones) and changes a share of their files, for the engine benchmarks.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const KiB = 1024
const MiB = 1024 * KiB

// One block of word-like text, sliced at different offsets so text files differ from each other.
const TEXT = Buffer.from(
  Array.from({ length: 200_000 }, (_, index) => randomBytes(2 + (index % 6)).toString('hex')).join(
    ' '
  )
)

/** Returns the size of file number `index`: 80% small, 18% medium, 2% large. */
function fileSize(index) {
  const slot = index % 50
  if (slot === 0) {
    return 16 * MiB
  }

  if (slot < 10) {
    return 256 * KiB * (1 + (index % 8))
  }

  return 4 * KiB * (1 + (index % 16))
}

/** Returns `length` bytes: compressible text for even indexes, random bytes for odd ones. */
function fileContent(index, length) {
  if (index % 2 === 1) {
    return randomBytes(length)
  }

  const parts = []
  let total = 0
  while (total < length) {
    const start = (index * 7919 + total) % (TEXT.length - 1)
    const part = TEXT.subarray(start, Math.min(TEXT.length, start + length - total))
    parts.push(part)
    total += part.length
  }

  return Buffer.concat(parts, length)
}

/**
 * Writes about `sizeMiB` MiB of files under `folder`, in 40 subfolders. Returns the file count
 * and the exact number of bytes written.
 */
export function generateVolume(folder, sizeMiB) {
  const target = sizeMiB * MiB
  let bytes = 0
  let files = 0
  while (bytes < target) {
    const subfolder = join(folder, `d${files % 40}`)
    mkdirSync(subfolder, { recursive: true })
    const length = Math.min(fileSize(files), target - bytes)
    writeFileSync(join(subfolder, `f${files}`), fileContent(files, length))
    bytes += length
    files++
  }

  return { files, bytes }
}

/** Lists the regular files under `folder`, sorted by path. */
export function listFiles(folder) {
  const result = []
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      result.push(join(entry.parentPath, entry.name))
    }
  }

  return result.sort()
}

/**
 * Rewrites `percent` % of the files under `folder` (every n-th file by path, from the middle of
 * the first step) with new random
 * bytes of the same size. Returns how many files and bytes changed.
 */
export function changeFiles(folder, percent) {
  const all = listFiles(folder)
  const step = Math.max(1, Math.round(100 / percent))
  let files = 0
  let bytes = 0
  // Start half a step in, so the first file by path (always a large one) is not favoured.
  for (let index = Math.floor(step / 2); index < all.length; index += step) {
    const size = statSync(all[index]).size
    writeFileSync(all[index], randomBytes(size))
    files++
    bytes += size
  }

  return { files, bytes, total: all.length }
}
