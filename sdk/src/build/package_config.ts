import { resolve } from 'node:path'
import { readInputFile, type InputFileRole } from '../bundle/input_file.js'
import { CofferError } from '../errors.js'
import { quoteValue } from '../manifest/ajv_errors.js'
import type { EngineManifestSource } from '../manifest/types.js'
import { validateManifestSource } from '../manifest/validate.js'
import { isSemanticVersion } from '../semver.js'

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
  /** Absolute path of the source manifest. */
  manifestPath: string
  manifest: EngineManifestSource
}

/** Reads and checks package.json, its `coffer` field and the source manifest it points to. */
export async function readEnginePackage(packageDir: string): Promise<EnginePackage> {
  const dir = resolve(packageDir)
  const packagePath = resolve(dir, 'package.json')
  const packageJson = await readJson(packagePath, 'INVALID_ARGUMENT', {
    description: 'package.json',
    whenMissing:
      'pass the folder of the engine package (the one with package.json) as "coffer-engine build <dir>" or --package <dir>',
  })

  const field = packageJson.coffer as Partial<CofferPackageField> | undefined
  if (typeof field !== 'object' || field === null || typeof field.manifest !== 'string') {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `${packagePath} has no "coffer": { "manifest": "<path>" } field; add one that points at the engine's source manifest`
    )
  }

  const manifestPath = resolve(dir, field.manifest)
  const manifest = validateManifestSource(
    await readJson(manifestPath, 'INVALID_MANIFEST', {
      description: 'source manifest',
      whenMissing: `create it, or correct "coffer": { "manifest" } in ${packagePath}`,
    }),
    manifestPath
  )
  const packageVersion = checkPackageVersion(packageJson.version, packagePath)
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
    manifestPath,
    manifest,
  }
}

// package.json's version becomes the engine's version, so it must be a semantic version too.
function checkPackageVersion(value: unknown, packagePath: string): string | undefined {
  if (value === undefined || isSemanticVersion(value)) {
    return value
  }

  throw new CofferError(
    'INVALID_MANIFEST',
    `invalid ${packagePath}: "version" is ${quoteValue(value)}, which is not a semantic version; set it to MAJOR.MINOR.PATCH, such as "1.0.0"`,
    { details: { file: packagePath, field: 'version', value } }
  )
}

async function readJson(
  path: string,
  code: 'INVALID_ARGUMENT' | 'INVALID_MANIFEST',
  role: InputFileRole
): Promise<Record<string, unknown>> {
  const text = (await readInputFile(path, role)).toString('utf8')
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch (error) {
    throw new CofferError(code, `${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    })
  }
}
