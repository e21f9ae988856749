import { chmod, mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** Paths of the files the agent keeps in its state folder. */
export interface StatePaths {
  root: string
  /** The agent's id and bearer token (mode 0600). */
  credentials: string
  /** Containers the agent paused or stopped and has not yet resumed. */
  containerJournal: string
  /** The highest engine version accepted per engine id. */
  acceptedEngines: string
  /** Unpacked, verified engine bundles, one read-only folder per digest. */
  engines: string
}

/** Returns the paths of the state files under `root`. */
export function statePaths(root: string): StatePaths {
  return {
    root,
    credentials: join(root, 'credentials.json'),
    containerJournal: join(root, 'container_journal.json'),
    acceptedEngines: join(root, 'accepted_engines.json'),
    engines: join(root, 'engines'),
  }
}

/**
 * Creates the state folder with mode 0700, or narrows an existing one to 0700, because it
 * contains the agent's token. Raises when the path exists and is not a folder.
 */
export async function prepareStateDir(root: string): Promise<StatePaths> {
  await mkdir(root, { recursive: true, mode: 0o700 })
  const info = await stat(root)
  if (!info.isDirectory()) {
    throw new Error(`state folder ${root} is not a folder; set COFFER_STATE_DIR to a folder path`)
  }

  if ((info.mode & 0o777) !== 0o700) {
    await chmod(root, 0o700)
  }

  const paths = statePaths(root)
  await mkdir(paths.engines, { recursive: true, mode: 0o700 })
  return paths
}
