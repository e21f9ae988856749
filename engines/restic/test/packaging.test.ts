import { execFileSync } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, expect, test } from 'vitest'
import { makeTempDir, removeAll } from './helpers.js'

afterAll(removeAll)

const packageDir = path.resolve(import.meta.dirname, '..')

test('npm pack installs and loads alone', async () => {
  const packDir = await makeTempDir('pack')
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], {
    cwd: packageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // The prepack build logs to stdout before npm's JSON, which starts with a line holding `[`.
  const [packed] = JSON.parse(output.slice(output.search(/^\[$/m))) as Array<{
    filename: string
    files: Array<{ path: string }>
  }>
  const packedFiles = packed!.files.map((file) => file.path).sort()
  expect(packedFiles).toEqual([
    'README.md',
    'dist/index.d.ts',
    'dist/index.js',
    'engine.manifest.json',
    'package.json',
  ])

  const project = await makeTempDir('install')
  await fs.writeFile(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'probe', private: true, type: 'module' })
  )
  execFileSync(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      path.join(packDir, packed!.filename),
    ],
    {
      cwd: project,
      stdio: 'ignore',
    }
  )

  const installed = path.join(project, 'node_modules/@coffer/engine-restic')
  const module = await import(pathToFileURL(path.join(installed, 'dist/index.js')).href)
  expect(module.default.id).toBe('coffer/restic')
  for (const operation of ['backup', 'listSnapshots', 'listFiles', 'restore', 'forget', 'verify']) {
    expect(typeof module.default[operation]).toBe('function')
  }

  const manifest = JSON.parse(
    await fs.readFile(path.join(installed, 'engine.manifest.json'), 'utf8')
  )
  expect(manifest.id).toBe(module.default.id)
  expect(await fs.readdir(path.join(project, 'node_modules/@coffer'))).toEqual(['engine-restic'])
})
