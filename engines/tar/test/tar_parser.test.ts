import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createArguments } from '../src/gnu_tar.js'
import { normalizeArchivePath } from '../src/paths.js'
import { TarParser, type TarEntry } from '../src/tar_parser.js'
import { createSandbox, makeCorpus, type Sandbox } from './helpers.js'

let sandbox: Sandbox
let archive: Buffer

beforeAll(async () => {
  sandbox = await createSandbox()
  const volume = join(sandbox.root, 'volume')
  makeCorpus(volume)
  archive = execFileSync('tar', createArguments(volume), {
    maxBuffer: 1 << 30,
    env: { LC_ALL: 'C', PATH: process.env.PATH },
  })
})

afterAll(async () => sandbox?.cleanup())

function parse(data: Buffer, chunkSize: number): TarEntry[] {
  const entries: TarEntry[] = []
  const parser = new TarParser({ onEntry: (entry) => void entries.push(entry) })
  for (let offset = 0; offset < data.length; offset += chunkSize) {
    parser.write(data.subarray(offset, offset + chunkSize))
  }
  parser.end()
  return entries
}

test('parser names match GNU tar', () => {
  const listed = execFileSync('tar', ['--list', '--file=-', '--quoting-style=escape'], {
    input: archive,
    env: { LC_ALL: 'C' },
  })
    .toString('latin1')
    .trim()
    .split('\n')
  const parsed = parse(archive, 7919).map((entry) => {
    const escaped = entry.path
      .toString('latin1')
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\t/g, '\\t')
    return escaped.replace(/[\x80-\xff]/g, (char) => `\\${char.charCodeAt(0).toString(8)}`)
  })
  expect(parsed).toEqual(listed)
})

test('parser reads pax fields', () => {
  const entries = parse(archive, 65536)
  const byPath = new Map(
    entries.map((entry) => [normalizeArchivePath(entry.path).toString('latin1'), entry])
  )

  const deep = entries.find((entry) => entry.path.toString().endsWith('/leaf'))!
  expect(deep.path.length).toBeGreaterThan(3000)
  expect(byPath.get('c'.repeat(255))?.type).toBe('file')
  expect(byPath.get('not-utf8-\xff\xfe')?.size).toBe(11)
  expect(byPath.get('setuid')?.mtime).toBeCloseTo(1_600_000_000.123456789, 6)
  expect(byPath.get('setuid')?.mode).toBe(0o4755)
  expect(byPath.get('ghost-owner')?.uid).toBe(4242)
  expect(byPath.get('ghost-owner')?.gid).toBe(4343)
  expect(byPath.get('sparse')?.size).toBe(64 * 1024 * 1024)
  expect(byPath.get('abs-link')?.linkPath?.toString()).toBe('/etc/passwd')
  expect(byPath.get('fifo')?.type).toBe('fifo')
  expect(byPath.get('null-device')?.type).toBe('character')
  expect(byPath.get('')?.type).toBe('directory')
  const hardLinks = entries.filter((entry) => entry.type === 'hardlink')
  expect(hardLinks).toHaveLength(2)
})

test('parser offsets cover the stream', () => {
  const entries = parse(archive, 4096)
  expect(entries[0].headerOffset).toBe(0)
  for (let index = 1; index < entries.length; index++) {
    expect(entries[index].headerOffset).toBe(entries[index - 1].endOffset)
  }
})

test('filter passes kept bytes unchanged', () => {
  const output: Buffer[] = []
  const parser = new TarParser({
    onEntry: () => true,
    onOutput: (chunk) => void output.push(Buffer.from(chunk)),
  })
  parser.write(archive)
  parser.end()
  const last = parse(archive, 1 << 20).at(-1)!
  expect(Buffer.concat(output).equals(archive.subarray(0, last.endOffset))).toBe(true)
})

test('truncated stream is CORRUPT', () => {
  const entries = parse(archive, 1 << 20)
  const last = entries.at(-1)!
  const cuts = [
    entries[3].endOffset,
    entries[3].endOffset + 100,
    last.endOffset - 1,
    last.endOffset,
  ]
  for (const cut of cuts) {
    expect(() => parse(archive.subarray(0, cut), 1 << 20), `cut at ${cut}`).toThrow(
      expect.objectContaining({ code: 'CORRUPT' })
    )
  }
})

test('damaged header is CORRUPT', () => {
  const entries = parse(archive, 1 << 20)
  const altered = Buffer.from(archive)
  altered[entries[5].headerOffset + 10] ^= 0x01
  expect(() => parse(altered, 1 << 20)).toThrow(expect.objectContaining({ code: 'CORRUPT' }))
})
