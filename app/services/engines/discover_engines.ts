import { readdir, readFile, realpath, stat } from 'node:fs/promises'
import { join } from 'node:path'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import type Engine from '#models/engine'
import { registerBundle } from '#services/engines/register_bundle'

/** The `coffer` field of an engine package's package.json. */
interface CofferField {
  manifest?: string
  /** Folder of the built bundle, relative to the package; `dist` when omitted. */
  dist?: string
}

/**
 * Finds the engine packages installed with the controller (the workspace's engines/* and any
 * package in node_modules whose package.json has a `coffer` field), and registers each built
 * bundle that has a detached signature beside it (`<bundle>.sig`).
 */
export async function discoverInstalledEngines() {
  const packages = [
    ...(await packageFolders(app.makePath('engines'), 'workspace')),
    ...(await nodeModulesFolders()),
  ]
  const registered: Engine[] = []

  for (const { folder, source } of packages) {
    const field = await readCofferField(folder)
    if (!field) {
      continue
    }

    const distFolder = join(folder, field.dist ?? 'dist')
    const bundles = (await safeReaddir(distFolder)).filter((name) => name.endsWith('.bundle'))

    for (const name of bundles) {
      const bundlePath = join(distFolder, name)
      const signaturePath = `${bundlePath}.sig`
      if (!(await exists(signaturePath))) {
        logger.warn({ bundlePath }, 'engine bundle has no signature file; skipped')
        continue
      }

      const engine = await registerBundle(
        await readFile(bundlePath),
        await readFile(signaturePath, 'utf8'),
        source
      )
      registered.push(engine)
    }
  }

  return registered
}

async function packageFolders(root: string, source: Engine['source']) {
  const names = await safeReaddir(root)
  return names.map((name) => ({ folder: join(root, name), source }))
}

async function nodeModulesFolders() {
  const root = app.makePath('node_modules')
  const folders: { folder: string; source: Engine['source'] }[] = []

  for (const name of await safeReaddir(root)) {
    if (name.startsWith('.')) {
      continue
    }
    if (name.startsWith('@')) {
      for (const scoped of await safeReaddir(join(root, name))) {
        folders.push({ folder: join(root, name, scoped), source: 'package' })
      }
      continue
    }
    folders.push({ folder: join(root, name), source: 'package' })
  }

  // Workspace engines are linked into node_modules too; they are registered as workspace ones.
  const workspace = app.makePath('engines')
  const outside: typeof folders = []
  for (const entry of folders) {
    const resolved = await realpath(entry.folder).catch(() => entry.folder)
    if (!resolved.startsWith(`${workspace}/`)) {
      outside.push(entry)
    }
  }
  return outside
}

async function readCofferField(folder: string): Promise<CofferField | null> {
  try {
    const manifest = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8'))
    return manifest.coffer && typeof manifest.coffer === 'object' ? manifest.coffer : null
  } catch {
    return null
  }
}

async function safeReaddir(folder: string) {
  try {
    return await readdir(folder)
  } catch {
    return []
  }
}

async function exists(path: string) {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}
