import type { EngineCapabilities, EnginePermissions, HostSecret } from '../contract.js'

/** A JSON Schema object, as found in `optionsSchema`. */
export type JsonSchema = Record<string, unknown>

/** `engine.json`: what an engine bundle declares about itself. */
export interface EngineManifest {
  /** Namespaced id, `<publisher>/<name>`, for example `coffer/tar`. */
  id: string
  /** Semantic version of the engine. */
  version: string
  /** Human-readable name. */
  name: string
  description: string
  /** Engine API majors the engine implements, for example `[1]`. */
  apiVersions: number[]
  /** Lowest agent version that can run the engine. */
  minAgentVersion: string
  /** File name of the ESM module (inside the bundle) whose default export is the engine. */
  entry: string
  capabilities: EngineCapabilities
  permissions: EnginePermissions
  /** JSON Schema (draft-07) of the per-destination options; secret fields carry `writeOnly: true`. */
  optionsSchema: JsonSchema
  /** Names of the option fields that are secret; each is `writeOnly` in `optionsSchema`. */
  secretOptions: string[]
  /** Secrets the host generates once per destination, such as an encryption key. */
  hostSecrets: HostSecret[]
  /** sha256 hex of every bundle file except `engine.json`, by file name. */
  files: Record<string, string>
}

/**
 * The manifest an engine package keeps in its source tree. `coffer-engine build` adds `files` and
 * `entry`, and takes `version` from package.json when it is omitted here.
 */
export type EngineManifestSource = Omit<EngineManifest, 'files' | 'entry' | 'version'> & {
  version?: string
}

/** File name of the manifest inside a bundle. */
export const MANIFEST_FILE_NAME = 'engine.json'
