import { MANIFEST_FILE_NAME, type EngineManifest } from '../manifest/types.js'
import { validateManifest } from '../manifest/validate.js'
import { sha256Hex } from './digest.js'
import { packTar, type TarFile } from './tar.js'

/** A packed bundle and the manifest written into it. */
export interface PackedBundle {
  bytes: Buffer
  manifest: EngineManifest
}

/**
 * Packs an engine bundle: computes `files` (sha256 of each file), validates the manifest, and
 * writes a deterministic tar with `engine.json` and the files.
 */
export function packBundle(
  manifest: Omit<EngineManifest, 'files'>,
  files: Map<string, Buffer>
): PackedBundle {
  const names = [...files.keys()].sort()
  const digests: Record<string, string> = {}
  for (const name of names) {
    digests[name] = sha256Hex(files.get(name)!)
  }

  const complete = validateManifest({ ...manifest, files: digests })
  const manifestText = serializeManifest(complete)
  const tarFiles: TarFile[] = [
    { name: MANIFEST_FILE_NAME, data: Buffer.from(manifestText, 'utf8') },
  ]
  for (const name of names) {
    tarFiles.push({ name, data: files.get(name)! })
  }

  return { bytes: packTar(tarFiles), manifest: complete }
}

/** Serializes a manifest with a fixed field order, so the same manifest gives the same bytes. */
export function serializeManifest(manifest: EngineManifest): string {
  const ordered: EngineManifest = {
    id: manifest.id,
    version: manifest.version,
    name: manifest.name,
    description: manifest.description,
    apiVersions: manifest.apiVersions,
    minAgentVersion: manifest.minAgentVersion,
    entry: manifest.entry,
    capabilities: manifest.capabilities,
    permissions: manifest.permissions,
    optionsSchema: manifest.optionsSchema,
    secretOptions: manifest.secretOptions,
    hostSecrets: manifest.hostSecrets,
    files: manifest.files,
  }

  return JSON.stringify(ordered, null, 2) + '\n'
}
