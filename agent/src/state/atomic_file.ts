import { randomBytes } from 'node:crypto'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/**
 * Replaces `path` with `data` so that a crash leaves either the old or the new content: writes a
 * temporary file of the given mode, fsyncs it, renames it over `path`, then fsyncs the folder.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const folder = dirname(path)
  const temporary = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)

  const handle = await open(temporary, 'wx', mode)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(temporary, { force: true })
    throw error
  }

  await handle.close()
  await rename(temporary, path)
  await syncFolder(folder)
}

/** Reads and parses a JSON file, or returns undefined when the file does not exist. */
export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined
    }

    throw error
  }

  try {
    return JSON.parse(text) as T
  } catch (error) {
    throw new Error(
      `${path} is not valid JSON (${(error as Error).message}); fix or remove the file`,
      {
        cause: error,
      }
    )
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
