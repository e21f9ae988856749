import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Runs `body` with a new temporary folder and removes the folder afterwards. A failure to remove
 * it is printed as a warning, so it never replaces an error of `body`.
 */
export async function withWorkFolder<T>(
  body: (folder: string) => Promise<T>,
  print: (line: string) => void
): Promise<T> {
  const folder = await mkdtemp(join(tmpdir(), 'coffer-engine-test-'))
  try {
    return await body(folder)
  } finally {
    await removeFolder(folder).catch((error: unknown) => {
      print(`warning: could not remove ${folder}: ${(error as Error).message}`)
    })
  }
}

// An unpacked bundle has folders of mode 0555, which only root can empty as they are.
async function removeFolder(folder: string): Promise<void> {
  await makeFoldersWritable(Buffer.from(folder))
  await rm(folder, { recursive: true, force: true })
}

// Best effort: a folder this user cannot change is left for `rm` to report. Paths are Buffers
// because the corpus has names that are not valid UTF-8.
async function makeFoldersWritable(folder: Buffer): Promise<void> {
  await chmod(folder, 0o700).catch(() => {})
  const entries = await readdir(folder, { withFileTypes: true, encoding: 'buffer' }).catch(() => [])
  for (const entry of entries) {
    if (entry.isDirectory()) {
      await makeFoldersWritable(Buffer.concat([folder, Buffer.from('/'), entry.name]))
    }
  }
}
