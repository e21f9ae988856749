import { test } from '@japa/runner'
import { mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pruneDownloads } from '#services/downloads/prune_downloads'

const HOUR_MS = 60 * 60 * 1000

/** Writes a file and sets its mtime `hoursAgo` hours before now. */
async function writeAged(path: string, hoursAgo: number) {
  await writeFile(path, 'archive bytes')
  const mtime = new Date(Date.now() - hoursAgo * HOUR_MS)
  await utimes(path, mtime, mtime)
}

async function exists(path: string) {
  return stat(path).then(
    () => true,
    () => false
  )
}

test.group('Download pruning', (group) => {
  let root: string
  let folder: string

  group.each.setup(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffer-prune-'))
    folder = join(root, 'downloads')
    await mkdir(folder)
    return () => rm(root, { recursive: true, force: true })
  })

  test('old archive removed, fresh kept', async ({ assert }) => {
    await writeAged(join(folder, 'old.tar'), 25)
    await writeAged(join(folder, 'fresh.tar'), 1)

    const result = await pruneDownloads({ folder, retentionHours: 24 })

    assert.isFalse(await exists(join(folder, 'old.tar')))
    assert.isTrue(await exists(join(folder, 'fresh.tar')))
    assert.equal(result.removedArchives, 1)
    assert.equal(result.keptFiles, 1)
    assert.equal(result.failed, 0)
  })

  test('retention hours set the cut-off', async ({ assert }) => {
    await writeAged(join(folder, 'three-hours.tar'), 3)

    await pruneDownloads({ folder, retentionHours: 4 })
    assert.isTrue(await exists(join(folder, 'three-hours.tar')))

    await pruneDownloads({ folder, retentionHours: 2 })
    assert.isFalse(await exists(join(folder, 'three-hours.tar')))
  })

  test('abandoned partial upload removed', async ({ assert }) => {
    await writeAged(join(folder, 'stalled.tar.part'), 2)
    await writeAged(join(folder, 'receiving.tar.part'), 0)

    const result = await pruneDownloads({ folder, retentionHours: 24 })

    assert.isFalse(await exists(join(folder, 'stalled.tar.part')))
    assert.isTrue(await exists(join(folder, 'receiving.tar.part')))
    assert.equal(result.removedPartialUploads, 1)
    assert.equal(result.removedArchives, 0)
  })

  test('symlink removed, target kept', async ({ assert }) => {
    const outsideFile = join(root, 'secret.txt')
    const outsideFolder = join(root, 'elsewhere')
    await writeAged(outsideFile, 48)
    await mkdir(outsideFolder)
    await writeAged(join(outsideFolder, 'old.tar'), 48)
    await symlink(outsideFile, join(folder, 'linked.tar'))
    await symlink(outsideFolder, join(folder, 'linked-folder'))

    const result = await pruneDownloads({ folder, retentionHours: 24 })

    assert.isFalse(await exists(join(folder, 'linked.tar')))
    assert.isFalse(await exists(join(folder, 'linked-folder')))
    assert.equal(await readFile(outsideFile, 'utf8'), 'archive bytes')
    assert.isTrue(await exists(join(outsideFolder, 'old.tar')))
    assert.equal(result.removedLinks, 2)
    assert.equal(result.removedArchives, 0)
  })

  test('sub-folders left alone', async ({ assert }) => {
    const nested = join(folder, 'nested')
    await mkdir(nested)
    await writeAged(join(nested, 'old.tar'), 48)

    const result = await pruneDownloads({ folder, retentionHours: 24 })

    assert.isTrue(await exists(join(nested, 'old.tar')))
    assert.equal(result.removedArchives, 0)
  })

  test('missing folder prunes nothing', async ({ assert }) => {
    const result = await pruneDownloads({ folder: join(root, 'absent'), retentionHours: 24 })

    assert.equal(result.removedArchives, 0)
    assert.equal(result.keptFiles, 0)
  })
})
