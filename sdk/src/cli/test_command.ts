import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readTar } from '../bundle/tar.js'
import { unpackBundle } from '../bundle/unpack.js'
import { formatReport, runConformance } from '../conformance/index.js'
import { CofferError } from '../errors.js'
import { MANIFEST_FILE_NAME, type EngineManifest } from '../manifest/types.js'
import { assertEngineOptions } from '../manifest/options.js'
import { parseManifest } from '../manifest/validate.js'
import { processEngine } from '../protocol/process_engine.js'
import type { Print } from './commands.js'

/** Options of `coffer-engine test`. */
export interface TestCommandOptions {
  /** JSON file with the per-destination options to test with; `{}` when omitted. */
  optionsPath?: string
  /** Time limit of each engine call, in milliseconds. */
  timeoutMs?: number
}

/**
 * `test`: unpacks a built bundle into a temporary folder and runs the conformance kit on it, each
 * engine call in its own child process, as the agent runs it. Host secrets the options lack are
 * generated at random, as the host does once per destination.
 */
export async function testCommand(bundlePath: string, options: TestCommandOptions, print: Print) {
  const bytes = await readFile(bundlePath)
  const manifestFile = readTar(bytes).find((file) => file.name === MANIFEST_FILE_NAME)
  if (!manifestFile) {
    throw new CofferError(
      'INVALID_MANIFEST',
      `${bundlePath} has no ${MANIFEST_FILE_NAME}; build it with "coffer-engine build"`
    )
  }

  const manifest = parseManifest(manifestFile.data.toString('utf8'))
  const engineOptions = await readOptions(manifest, options.optionsPath)
  const folder = await mkdtemp(join(tmpdir(), 'coffer-engine-test-'))

  try {
    const bundleDir = join(folder, 'bundle')
    await unpackBundle(bytes, bundleDir)
    print(`running the conformance kit on ${manifest.id} ${manifest.version}`)

    const report = await runConformance({
      engine: processEngine(manifest, { bundleDir }),
      options: engineOptions,
      workDir: join(folder, 'work'),
      capabilities: manifest.capabilities,
      timeoutMs: options.timeoutMs,
      onCheck: (check) => print(`${check.status.padEnd(7)} ${check.name} (${check.durationMs} ms)`),
    })
    print(formatReport(report, { onlyFailed: true }))

    if (!report.passed) {
      throw new CofferError(
        'INTERNAL',
        `${manifest.id} ${manifest.version} failed the conformance kit; see the failed checks above`
      )
    }
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

async function readOptions(manifest: EngineManifest, path: string | undefined) {
  let options: Record<string, unknown> = {}
  if (path !== undefined) {
    try {
      options = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
    } catch (error) {
      throw new CofferError(
        'INVALID_OPTIONS',
        `cannot read engine options from ${path}: ${(error as Error).message}`,
        { cause: error }
      )
    }
  }

  for (const secret of manifest.hostSecrets) {
    if (options[secret.name] === undefined) {
      options[secret.name] = randomBytes(secret.bytes).toString(secret.encoding)
    }
  }

  return assertEngineOptions(manifest, options)
}
