import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { CofferError } from '../errors.js'
import { assertSafeName, readTar } from './tar.js'

/**
 * Writes a bundle's files under `dir` (created when missing, and required to be empty) with
 * files of mode 0444 and folders of mode 0555, so the engine cannot change its own code. Rejects
 * names with `..`, `.` or empty segments and absolute names before writing anything.
 * Returns the names written.
 */
export async function unpackBundle(bundle: Buffer, dir: string): Promise<string[]> {
  const files = readTar(bundle)
  const root = resolve(dir)
  for (const file of files) {
    assertSafeName(file.name)
    const target = resolve(root, file.name)
    if (!target.startsWith(root + sep)) {
      throw new CofferError(
        'INVALID_ARGUMENT',
        `bundle file "${file.name}" would be written outside ${root}`
      )
    }
  }

  await mkdir(root, { recursive: true, mode: 0o700 })
  const existing = await readdir(root)
  if (existing.length > 0) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `cannot unpack a bundle into ${root}: the folder is not empty`
    )
  }

  const folders = new Set<string>()
  for (const file of files) {
    const target = join(root, file.name)
    await mkdir(dirname(target), { recursive: true, mode: 0o700 })
    await writeFile(target, file.data, { mode: 0o444, flag: 'wx' })
    for (let folder = dirname(target); folder.startsWith(root + sep); folder = dirname(folder)) {
      folders.add(folder)
    }
  }

  // Deepest folders first, so a parent loses its write bit after its children are done.
  const ordered = [...folders].sort((a, b) => b.length - a.length)
  for (const folder of [...ordered, root]) {
    await chmod(folder, 0o555)
  }

  return files.map((file) => file.name)
}
