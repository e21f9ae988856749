import { execFile } from 'node:child_process'
import { access, chmod, chown, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import app from '@adonisjs/core/services/app'

const run = promisify(execFile)

/** The time zone database, a real tree of binary files, folders and symbolic links. */
const ZONEINFO = '/usr/share/zoneinfo'

/**
 * Two small packages of the project's node_modules that `.bin` links into, so the copy contains
 * links that resolve next to links that dangle (the packages left out).
 */
const PACKAGES = ['which', 'jsesc']

/**
 * Copies trees the project did not write into `root` with `cp -a` (owners, modes, times and
 * links kept): the time zone database as `zoneinfo`, and node_modules/.bin with two packages
 * as `node_modules`.
 */
export async function copyRealTrees(root: string) {
  const nodeModules = app.makePath('node_modules')
  for (const source of [ZONEINFO, ...PACKAGES.map((name) => join(nodeModules, name))]) {
    await access(source).catch(() => {
      throw new Error(`${source} is missing: install Debian tzdata and run npm install`)
    })
  }

  await run('cp', ['-a', ZONEINFO, join(root, 'zoneinfo')])
  await mkdir(join(root, 'node_modules'))
  await run('cp', [
    '-a',
    join(nodeModules, '.bin'),
    ...PACKAGES.map((name) => join(nodeModules, name)),
    join(root, 'node_modules'),
  ])
}

/**
 * Changes the copied trees the ways a restore in place must undo: a folder removed, a file
 * rewritten, a mode, an owner and a link target changed, and a file added.
 */
export async function damageRealTrees(root: string) {
  await rm(join(root, 'zoneinfo/Europe'), { recursive: true })
  await writeFile(join(root, 'zoneinfo/UTC'), 'not a time zone file\n')
  await chmod(join(root, 'node_modules/jsesc/package.json'), 0o600)
  await chown(join(root, 'node_modules/which/package.json'), 1234, 1234)
  await rm(join(root, 'node_modules/.bin/jsesc'))
  await symlink('../which/bin/which.js', join(root, 'node_modules/.bin/jsesc'))
  await writeFile(join(root, 'node_modules/added-after-backup.txt'), 'added\n')
}
