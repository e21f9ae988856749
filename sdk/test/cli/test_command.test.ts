import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEngineBundle } from '../../src/build/build_engine.js'
import { packBundle } from '../../src/bundle/pack.js'
import { readTar } from '../../src/bundle/tar.js'
import { testCommand } from '../../src/cli/test_command.js'
import { withWorkFolder } from '../../src/conformance/work_folder.js'
import { buildRunner, temporaryFolder, TEST_ENGINE_DIR } from '../helpers.js'

// An unprivileged user, to show what the command does without root.
const NOBODY = 65534

let folder: Awaited<ReturnType<typeof temporaryFolder>>
let bundlePath: string
let runnerPath: string

beforeAll(async () => {
  folder = await temporaryFolder('test-command')
  runnerPath = await buildRunner()
  const built = await buildEngineBundle({
    packageDir: TEST_ENGINE_DIR,
    outDir: join(folder.path, 'out'),
  })
  bundlePath = built.bundlePath
  // Lets the `nobody` user read the bundle and the options files, as users read their own.
  await chmod(folder.path, 0o755)
})

afterAll(async () => {
  await folder?.remove()
  await rm(dirname(runnerPath), { recursive: true, force: true })
})

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason
  )
  expect(error, 'expected a rejection').toBeInstanceOf(Error)
  return error as Error & { code?: string }
}

// Runs `body` with TMPDIR set to a new empty folder and returns what is left in it afterwards,
// so work folders of other tests running at the same time do not count.
async function leftInTmpdir(body: () => Promise<unknown>): Promise<string[]> {
  const privateTmp = await mkdtemp(join(folder.path, 'tmp-'))
  await chmod(privateTmp, 0o1777)
  const saved = process.env.TMPDIR
  process.env.TMPDIR = privateTmp
  try {
    await body()
  } finally {
    if (saved === undefined) {
      delete process.env.TMPDIR
    } else {
      process.env.TMPDIR = saved
    }
  }

  return readdir(privateTmp)
}

// Sets the effective uid of this test process (each test file runs in its own process).
function setEffectiveUid(uid: number): void {
  if (process.seteuid === undefined) {
    throw new Error('process.seteuid exists only on POSIX systems')
  }

  process.seteuid(uid)
}

async function asNobody<T>(body: () => Promise<T>): Promise<T> {
  setEffectiveUid(NOBODY)
  try {
    return await body()
  } finally {
    setEffectiveUid(0)
  }
}

describe('coffer-engine test input', () => {
  it('rejects a file that is not a bundle', async () => {
    const source = join(folder.path, 'index.ts')
    await writeFile(source, "import 'node:fs'\nexport default {}\n")
    const error = await failure(testCommand(source, {}, () => {}))

    expect(error.message).toContain(`${source} is not an engine bundle`)
    expect(error.message).toContain('build one with "coffer-engine build"')
  })

  it('names the options file in option errors', async () => {
    const optionsPath = join(folder.path, 'options.json')
    await writeFile(optionsPath, JSON.stringify({ behavior: 'dance' }))
    const error = await failure(testCommand(bundlePath, { optionsPath }, () => {}))

    expect(error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toContain(`in --options ${optionsPath}`)
    expect(error.message).toContain('behavior')
    expect(error.message).not.toContain('destination')
  })

  it('rejects a hostile module without a function', async () => {
    const hookPath = join(folder.path, 'not-a-hook.mjs')
    await writeFile(hookPath, 'export default 42\n')
    const options = { optionsPath: await normalOptions(), hostilePath: hookPath }
    const error = await failure(testCommand(bundlePath, options, () => {}))

    expect(error.message).toContain('must have a default export that is a function')
  })

  it('reports an engine that cannot load once', async () => {
    const files = new Map(readTar(await readFile(bundlePath)).map((file) => [file.name, file.data]))
    const manifest = JSON.parse(files.get('engine.json')!.toString('utf8'))
    files.delete('engine.json')
    const newer = packBundle({ ...manifest, apiVersions: [2] }, files)
    const newerPath = join(folder.path, 'api-2.bundle')
    await writeFile(newerPath, newer.bytes)
    const lines: string[] = []
    const optionsPath = await normalOptions()
    let error: Error & { code?: string } = new Error('not run')

    const left = await leftInTmpdir(async () => {
      error = await failure(
        testCommand(newerPath, { optionsPath, runnerPath }, (line) => lines.push(line))
      )
    })

    expect(error.code).toBe('API_TOO_NEW')
    expect(error.message).toMatch(/^engine coffer-test\/echo 1\.2\.3 cannot load, so no check ran/)
    expect(lines).toEqual([])
    expect(left).toEqual([])
  })
})

describe('coffer-engine test as non-root', () => {
  it('says that the kit needs root', async () => {
    const optionsPath = await normalOptions()
    let error: Error = new Error('not run')
    const left = await leftInTmpdir(async () => {
      error = await asNobody(() => failure(testCommand(bundlePath, { optionsPath }, () => {})))
    })

    expect(error.message).toContain('the conformance kit needs root')
    expect(error.message).toContain(`uid ${NOBODY}`)
    expect(left).toEqual([])
  })

  it('removes read-only folders and keeps the first error', async () => {
    let created = ''
    const warnings: string[] = []
    const error = await asNobody(() =>
      failure(
        withWorkFolder(
          async (work) => {
            created = work
            await mkdir(join(work, 'bundle', 'nested'), { recursive: true })
            await writeFile(join(work, 'bundle', 'nested', 'engine.js'), '')
            await chmod(join(work, 'bundle', 'nested'), 0o555)
            await chmod(join(work, 'bundle'), 0o555)
            throw new Error('first failure')
          },
          (line) => warnings.push(line)
        )
      )
    )

    expect(error.message).toBe('first failure')
    expect(warnings).toEqual([])
    await expect(stat(created)).rejects.toThrow(/ENOENT/)
  })

  it('warns when cleanup fails', async () => {
    let created = ''
    const warnings: string[] = []
    const error = await asNobody(() =>
      failure(
        withWorkFolder(
          async (work) => {
            created = work
            // A folder owned by root inside, as the corpus has, which the `nobody` user cannot empty.
            setEffectiveUid(0)
            await mkdir(join(work, 'owned-by-root'))
            await writeFile(join(work, 'owned-by-root', 'file'), '')
            setEffectiveUid(NOBODY)
            throw new Error('first failure')
          },
          (line) => warnings.push(line)
        )
      )
    )

    expect(error.message).toBe('first failure')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^warning: could not remove .*: EACCES/)
    await rm(created, { recursive: true, force: true })
  })
})

async function normalOptions(): Promise<string> {
  const path = join(folder.path, 'normal.json')
  await writeFile(path, JSON.stringify({ behavior: 'normal' }))
  return path
}
