import { chmod, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { AgentLogger } from '../logger.js'

/**
 * Removes what a killed agent left behind: job folders in the work folder (no job runs yet at
 * start-up) and half-unpacked engine bundles in the engines folder.
 */
export async function removeStaleFolders(
  workDir: string,
  enginesDir: string,
  logger: AgentLogger
): Promise<void> {
  for (const name of await readdir(workDir)) {
    if (name.startsWith('job-')) {
      await rm(join(workDir, name), { recursive: true, force: true })
      logger.info({ folder: name }, 'removed the folder of a job an earlier run left behind')
    }
  }

  for (const name of await readdir(enginesDir)) {
    if (name.startsWith('.unpack-')) {
      await removeReadOnlyTree(join(enginesDir, name))
    }
  }
}

/** Removes a folder tree whose folders are read-only (mode 0555), as unpacked bundles are. */
export async function removeReadOnlyTree(dir: string): Promise<void> {
  try {
    await chmod(dir, 0o700)
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        await removeReadOnlyTree(join(dir, entry.name))
      }
    }
  } catch {
    // The folder does not exist or was removed already.
  }

  await rm(dir, { recursive: true, force: true })
}
