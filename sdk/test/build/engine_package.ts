import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const CONTRACT_PATH = fileURLToPath(new URL('../../src/contract.ts', import.meta.url))

/** The operations of the sample engine, as source text for `defineEngine({ ... })`. */
export const SAMPLE_OPERATIONS = [
  'async backup() { throw new Error("unused") },',
  'async listSnapshots() { return [] },',
  'async listFiles() { return [] },',
  'async restore() { throw new Error("unused") },',
  'async forget() {},',
  'async verify() { return { ok: true, problems: [] } },',
]

/** Returns a valid source manifest for the sample engine `acme/sample`. */
export function sampleSourceManifest(): Record<string, unknown> {
  return {
    id: 'acme/sample',
    name: 'Sample',
    description: 'An engine package written by the SDK tests',
    apiVersions: [1],
    minAgentVersion: '0.1.0',
    capabilities: {
      incremental: false,
      dedup: false,
      nativeEncryption: false,
      fileListing: false,
      partialRestore: false,
      verifyLevels: ['structure'],
      sources: ['path'],
    },
    permissions: { processes: [], network: 'none' },
    optionsSchema: { type: 'object', properties: {} },
    secretOptions: [],
    hostSecrets: [],
  }
}

/** Returns the entry module of the sample engine with `operations` in its defineEngine call. */
export function sampleEntry(id = 'acme/sample', operations = SAMPLE_OPERATIONS): string {
  return [
    `import { defineEngine } from ${JSON.stringify(CONTRACT_PATH)}`,
    'export default defineEngine({',
    `  id: ${JSON.stringify(id)},`,
    ...operations.map((line) => `  ${line}`),
    '})',
    '',
  ].join('\n')
}

/** Parts of an engine package that a test replaces. */
export interface EnginePackageParts {
  manifest?: Record<string, unknown>
  entry?: string
  packageJson?: Record<string, unknown>
}

/** Writes an engine package (package.json, engine.manifest.json, src/index.ts) into `dir`. */
export async function writeEnginePackage(dir: string, parts: EnginePackageParts = {}) {
  const packageJson = parts.packageJson ?? {
    name: 'acme-sample',
    version: '1.0.0',
    private: true,
    type: 'module',
    coffer: { manifest: './engine.manifest.json', entry: './src/index.ts' },
  }
  const files: Record<string, string> = {
    'package.json': JSON.stringify(packageJson, null, 2),
    'engine.manifest.json': JSON.stringify(parts.manifest ?? sampleSourceManifest(), null, 2),
    'src/index.ts': parts.entry ?? sampleEntry(),
  }

  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), text)
  }
}
