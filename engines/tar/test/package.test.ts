import { execFileSync } from 'node:child_process'
import { readdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'

const packageDir = new URL('..', import.meta.url).pathname
let scratch: string | undefined

afterAll(async () => {
  if (scratch) {
    await rm(scratch, { recursive: true, force: true })
  }
})

test('packed tarball installs and loads', async () => {
  scratch = await mkdtemp(join(tmpdir(), 'coffer-tar-pack-'))
  execFileSync('npx', ['tsup'], { cwd: packageDir, stdio: 'pipe' })
  execFileSync('npm', ['pack', '--pack-destination', scratch], { cwd: packageDir, stdio: 'pipe' })
  const tarball = readdirSync(scratch).find((name) => name.endsWith('.tgz'))!
  expect(tarball).toBe('coffer-engine-tar-0.1.0.tgz')

  const files = execFileSync('tar', ['--list', '--file', join(scratch, tarball)], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .sort()
  expect(files).toEqual([
    'package/README.md',
    'package/dist/index.js',
    'package/engine.manifest.json',
    'package/package.json',
  ])

  const project = join(scratch, 'project')
  execFileSync('mkdir', [project])
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module' })
  )
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(scratch, tarball)], {
    cwd: project,
    stdio: 'pipe',
  })

  const script = [
    "const engine = (await import('@coffer/engine-tar')).default",
    "const manifest = (await import('@coffer/engine-tar/engine.manifest.json', { with: { type: 'json' } })).default",
    'console.log(JSON.stringify({ id: engine.id, manifestId: manifest.id, backup: typeof engine.backup }))',
  ].join('\n')
  const output = execFileSync('node', ['--input-type=module', '-e', script], {
    cwd: project,
    encoding: 'utf8',
  })
  expect(JSON.parse(output)).toEqual({
    id: 'coffer/tar',
    manifestId: 'coffer/tar',
    backup: 'function',
  })
})
