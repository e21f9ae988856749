// Starts the built tar and restic engines the way the agent does: an unpacked bundle run in a
// child process through the SDK's protocol (startEngineProcess), with a LocalStorage destination.
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LocalStorage, startEngineProcess, unpackBundle } from '@coffer/sdk'
import { buildEngineBundle } from '@coffer/sdk/build'

const ROOT = new URL('../../', import.meta.url)

/** Package folder and per-destination options of each engine, as the host would pass them. */
export const ENGINES = {
  tar: {
    packageDir: 'engines/tar',
    options: () => ({ compression: 'zstd', level: 3, blockSizeMiB: 4, encryption: false }),
  },
  restic: {
    packageDir: 'engines/restic',
    options: () => ({ repositoryPassword: randomBytes(32).toString('base64') }),
  },
}

/**
 * Builds the engine's bundle from its sources into `scratch` (the SDK's buildEngineBundle, as
 * `coffer-engine build` does), unpacks it and starts it with a LocalStorage on `storageFolder`.
 * Building here, instead of reading the engine's dist/, keeps a concurrent rebuild of dist/ from
 * breaking a run. Returns the engine process and the storage.
 */
export async function startEngine(name, scratch, storageFolder) {
  const built = await buildEngineBundle({
    packageDir: fileURLToPath(new URL(ENGINES[name].packageDir, ROOT)),
    outDir: join(scratch, `built-${name}-${randomBytes(4).toString('hex')}`),
  })
  const bundle = built.bytes

  const bundleDir = join(scratch, `bundle-${name}-${randomBytes(4).toString('hex')}`)
  await unpackBundle(bundle, bundleDir)
  mkdirSync(storageFolder, { recursive: true })
  const storage = new LocalStorage(storageFolder)
  const engine = await startEngineProcess({
    bundleDir,
    storage,
    env: process.env.RESTIC_BINARY ? { RESTIC_BINARY: process.env.RESTIC_BINARY } : {},
    onLog: (entry) => {
      if (entry.level === 'error' || entry.level === 'warn') {
        console.error(`[${name} engine ${entry.level}] ${entry.message}`)
      }
    },
  })
  return { engine, storage }
}

/** Returns a fresh scratch folder for one engine call, inside `scratch`. */
export function callFolder(scratch) {
  const folder = join(scratch, `call-${randomBytes(4).toString('hex')}`)
  mkdirSync(folder)
  return folder
}

/** Removes a folder tree, including unpacked bundles whose files and folders are read-only. */
export function removeTree(folder) {
  makeWritable(folder)
  rmSync(folder, { recursive: true, force: true })
}

function makeWritable(folder) {
  try {
    chmodSync(folder, 0o700)
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        makeWritable(join(folder, entry.name))
      }
    }
  } catch {
    // Already gone, or not a folder: rmSync reports anything that still matters.
  }
}
