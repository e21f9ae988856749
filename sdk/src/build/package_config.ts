import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { CofferError } from '../errors.js'
import type { EngineManifestSource } from '../manifest/types.js'
import { validateManifestSource } from '../manifest/validate.js'

/**
 * The `coffer` field of an engine package's package.json:
 * `{ "manifest": "./engine.manifest.json", "entry": "./src/index.ts" }`.
 */
export interface CofferPackageField {
  /** Path of the source manifest, relative to the package folder. */
  manifest: string
  /** Module whose default export is the engine; `./src/index.ts` when omitted. */
  entry?: string
}

/** What `coffer-engine build` needs from an engine package. */
export interface EnginePackage {
  dir: string
  name: string
  /** The engine's version: the source manifest's, or package.json's when the manifest has none. */
  version: string
  /** Absolute path of the entry module. */
  entryPath: string
  manifest: EngineManifestSource
}

/** Reads and checks package.json, its `coffer` field and the source manifest it points to. */
export async function readEnginePackage(packageDir: string): Promise<EnginePackage> {
  const dir = resolve(packageDir)
  const packagePath = resolve(dir, 'package.json')
  const packageJson = await readJson(packagePath, 'INVALID_ARGUMENT')

  const field = packageJson.coffer as Partial<CofferPackageField> | undefined
  if (typeof field !== 'object' || field === null || typeof field.manifest !== 'string') {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `${packagePath} has no "coffer": { "manifest": "<path>" } field; add one that points at the engine's source manifest`
    )
  }

  const manifestPath = resolve(dir, field.manifest)
  const manifest = validateManifestSource(
    await readJson(manifestPath, 'INVALID_MANIFEST'),
    manifestPath
  )
  const packageVersion = typeof packageJson.version === 'string' ? packageJson.version : undefined
  const version = manifest.version ?? packageVersion
  if (version === undefined) {
    throw new CofferError(
      'INVALID_MANIFEST',
      `no version for the engine: set "version" in ${packagePath}`
    )
  }

  if (
    manifest.version !== undefined &&
    packageVersion !== undefined &&
    manifest.version !== packageVersion
  ) {
    throw new CofferError(
      'INVALID_MANIFEST',
      `${manifestPath} declares version ${manifest.version} but ${packagePath} declares ${packageVersion}; keep one of them, preferably package.json's`
    )
  }

  return {
    dir,
    name: typeof packageJson.name === 'string' ? packageJson.name : manifest.id,
    version,
    entryPath: resolve(dir, field.entry ?? './src/index.ts'),
    manifest,
  }
}

async function readJson(
  path: string,
  code: 'INVALID_ARGUMENT' | 'INVALID_MANIFEST'
): Promise<Record<string, unknown>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new CofferError(code, `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    })
  }

  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch (error) {
    throw new CofferError(code, `${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    })
  }
}
