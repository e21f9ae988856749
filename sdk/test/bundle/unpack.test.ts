import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { packTar } from '../../src/bundle/tar.js'
import { unpackBundle } from '../../src/bundle/unpack.js'
import { isCofferError } from '../../src/errors.js'
import { temporaryFolder } from '../helpers.js'

let folder: Awaited<ReturnType<typeof temporaryFolder>>

// Renames the first member of a tar to `name` (same length), fixing the header checksum.
function renameFirstMember(tar: Buffer, name: string): Buffer {
  const copy = Buffer.from(tar)
  copy.fill(0, 0, 100)
  copy.write(name, 0, 'utf8')
  copy.write('        ', 148, 'ascii')
  const checksum = copy.subarray(0, 512).reduce((sum, byte) => sum + byte, 0)
  copy.write(checksum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii')
  return copy
}

beforeAll(async () => {
  folder = await temporaryFolder('unpack')
})

afterAll(async () => {
  await folder?.remove()
})

describe('unpackBundle', () => {
  it('writes read-only files', async () => {
    const bundle = packTar([
      { name: 'engine.json', data: Buffer.from('{}') },
      { name: 'lib/helper.js', data: Buffer.from('export {}') },
    ])
    const dir = join(folder.path, 'ok')
    expect(await unpackBundle(bundle, dir)).toEqual(['engine.json', 'lib/helper.js'])

    expect((await stat(join(dir, 'engine.json'))).mode & 0o777).toBe(0o444)
    expect((await stat(join(dir, 'lib', 'helper.js'))).mode & 0o777).toBe(0o444)
    expect((await stat(join(dir, 'lib'))).mode & 0o777).toBe(0o555)
    expect((await stat(dir)).mode & 0o777).toBe(0o555)
    expect(await readFile(join(dir, 'lib', 'helper.js'), 'utf8')).toBe('export {}')
  })

  it('rejects a parent-folder name', async () => {
    const bundle = renameFirstMember(
      packTar([{ name: 'aa/evil.js', data: Buffer.from('x') }]),
      '../evil.js'
    )
    const dir = join(folder.path, 'climb')
    const error = await unpackBundle(bundle, dir).catch((reason: unknown) => reason)
    expect(isCofferError(error, 'INVALID_ARGUMENT')).toBe(true)
    expect(await readdir(folder.path)).not.toContain('evil.js')
  })

  it('rejects an absolute name', async () => {
    const bundle = renameFirstMember(
      packTar([{ name: 'tmp/x.js', data: Buffer.from('x') }]),
      '/tmp/x.js'
    )
    const error = await unpackBundle(bundle, join(folder.path, 'absolute')).catch(
      (reason: unknown) => reason
    )
    expect(isCofferError(error, 'INVALID_ARGUMENT')).toBe(true)
  })

  it('rejects a bad checksum', async () => {
    const bundle = packTar([{ name: 'a.js', data: Buffer.from('x') }])
    bundle[0] = 'b'.charCodeAt(0)
    const error = await unpackBundle(bundle, join(folder.path, 'checksum')).catch(
      (reason: unknown) => reason
    )
    expect(isCofferError(error, 'CORRUPT')).toBe(true)
  })

  it('rejects a folder that is not empty', async () => {
    const bundle = packTar([{ name: 'a.js', data: Buffer.from('x') }])
    const dir = join(folder.path, 'twice')
    await unpackBundle(bundle, dir)
    const error = await unpackBundle(bundle, dir).catch((reason: unknown) => reason)
    expect(isCofferError(error, 'INVALID_ARGUMENT')).toBe(true)
  })
})
