import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const testDir = dirname(fileURLToPath(import.meta.url))

/** Folder of the test engine package. */
export const TEST_ENGINE_DIR = join(testDir, 'fixtures', 'test_engine')

/** Creates a private temporary folder and returns it with a function that removes it. */
export async function temporaryFolder(prefix: string) {
  const path = await mkdtemp(join(tmpdir(), `coffer-sdk-${prefix}-`))
  const remove = async () => {
    await makeWritable(path)
    await rm(path, { recursive: true, force: true })
  }

  return { path, remove }
}

// Unpacked bundles have folders of mode 0555, which a non-root user cannot empty.
async function makeWritable(folder: string): Promise<void> {
  await chmod(folder, 0o700)
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      await makeWritable(join(folder, entry.name))
    }
  }
}

/**
 * Bundles src/engine_runner.ts into a fresh folder under sdk/tmp (ignored by git), so protocol
 * tests run the current sources without depending on a dist/ build. The folder must sit inside
 * the package because the runner loads ajv from node_modules at run time.
 */
export async function buildRunner(): Promise<string> {
  const runnerRoot = join(testDir, '..', 'tmp')
  await mkdir(runnerRoot, { recursive: true })
  const outDir = await mkdtemp(join(runnerRoot, 'engine-runner-'))
  const outfile = join(outDir, 'engine_runner.js')
  await build({
    entryPoints: [join(testDir, '..', 'src', 'engine_runner.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'silent',
  })

  return outfile
}
