import { mkdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { buildEngineBundle } from '../../src/build/build_engine.js'
import { unpackBundle } from '../../src/bundle/unpack.js'
import { LocalStorage } from '../../src/storage_local.js'
import { buildRunner, temporaryFolder } from '../helpers.js'

/** An engine package built and unpacked into a temporary folder, with a runner and a storage. */
export interface EngineFixture {
  folder: Awaited<ReturnType<typeof temporaryFolder>>
  runnerPath: string
  bundleDir: string
  storage: LocalStorage
  remove(): Promise<void>
}

/** Builds the engine package in `packageDir` and unpacks it the way a host would run it. */
export async function createEngineFixture(
  packageDir: string,
  label: string
): Promise<EngineFixture> {
  const folder = await temporaryFolder(label)
  const runnerPath = await buildRunner()
  const built = await buildEngineBundle({ packageDir, outDir: join(folder.path, 'out') })
  const bundleDir = join(folder.path, 'engine')
  await unpackBundle(built.bytes, bundleDir)
  await mkdir(join(folder.path, 'storage'))

  return {
    folder,
    runnerPath,
    bundleDir,
    storage: new LocalStorage(join(folder.path, 'storage')),
    async remove() {
      await folder.remove()
      await rm(dirname(runnerPath), { recursive: true, force: true })
    },
  }
}
