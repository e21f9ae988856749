import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import { CofferError } from '../errors.js'
import { packBundle } from '../bundle/pack.js'
import { readTar } from '../bundle/tar.js'
import type { EngineManifest } from '../manifest/types.js'
import { checkBundleLoads } from './load_check.js'
import { readEnginePackage } from './package_config.js'

/** File name of the engine module inside every bundle built by `buildEngineBundle`. */
export const BUNDLE_ENTRY = 'engine.js'

// Bundled CommonJS dependencies call require(); an ESM bundle has none unless it makes one.
const REQUIRE_SHIM =
  "import { createRequire as __cofferCreateRequire } from 'node:module';\nconst require = __cofferCreateRequire(import.meta.url);"

/** Options of `buildEngineBundle`. */
export interface BuildEngineOptions {
  /** Folder of the engine package (with package.json). */
  packageDir: string
  /**
   * Where the `.bundle` file goes, relative to the current folder like any path; `dist` in the
   * package folder by default.
   */
  outDir?: string
}

/** A built bundle. */
export interface BuiltEngine {
  bundlePath: string
  bytes: Buffer
  manifest: EngineManifest
}

/**
 * Builds an engine package into one bundle: esbuild bundles the entry and every dependency
 * (Node built-ins excepted) into `engine.js`, then `packBundle` adds `engine.json` with its sha256.
 * The output depends only on the sources, the lockfile's versions and the package folder's
 * layout, so building twice gives the same bytes. Before writing the bundle, `checkBundleLoads`
 * imports it in a child process and raises when an agent could not load it.
 */
export async function buildEngineBundle(options: BuildEngineOptions): Promise<BuiltEngine> {
  const enginePackage = await readEnginePackage(options.packageDir)
  const result = await build({
    absWorkingDir: enginePackage.dir,
    entryPoints: [enginePackage.entryPath],
    outfile: BUNDLE_ENTRY,
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    banner: { js: REQUIRE_SHIM },
    legalComments: 'inline',
    sourcemap: false,
    minify: false,
    logLevel: 'silent',
  }).catch((error: Error) => {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `esbuild could not bundle ${enginePackage.entryPath}: ${error.message}`,
      {
        cause: error,
      }
    )
  })

  const output = result.outputFiles.find((file) => file.path.endsWith(BUNDLE_ENTRY))
  if (!output) {
    throw new CofferError(
      'INTERNAL',
      `esbuild produced no ${BUNDLE_ENTRY} for ${enginePackage.entryPath}`
    )
  }

  const { version, manifest: source } = enginePackage
  const files = new Map([[BUNDLE_ENTRY, Buffer.from(output.contents)]])
  const packed = packBundle({ ...source, version, entry: BUNDLE_ENTRY }, files)
  const packedFiles = new Map(readTar(packed.bytes).map((file) => [file.name, file.data]))
  await checkBundleLoads(packed.manifest, packedFiles, {
    manifestPath: enginePackage.manifestPath,
    entryPath: enginePackage.entryPath,
  })

  const outDir =
    options.outDir === undefined ? join(enginePackage.dir, 'dist') : resolve(options.outDir)
  await mkdir(outDir, { recursive: true })
  const bundlePath = join(outDir, bundleFileName(packed.manifest.id, version))
  await writeFile(bundlePath, packed.bytes)

  return { bundlePath, bytes: packed.bytes, manifest: packed.manifest }
}

/** Returns the bundle file name for an engine: `coffer/tar` 1.2.0 -> `coffer-tar-1.2.0.bundle`. */
export function bundleFileName(id: string, version: string): string {
  return `${id.replace('/', '-')}-${version}.bundle`
}
