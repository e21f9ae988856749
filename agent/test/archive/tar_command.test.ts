import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { tarFolder } from '../../src/archive/tar_command.js'

// A stand-in for GNU tar that writes a few bytes and exits with the given code, as tar does
// (code 1) when a file changes while it is read.
let binDir: string
let originalPath: string | undefined

beforeEach(async () => {
  binDir = await mkdtemp(join(tmpdir(), 'coffer-fake-tar-'))
  originalPath = process.env.PATH
})

afterEach(async () => {
  process.env.PATH = originalPath
  await rm(binDir, { recursive: true, force: true })
})

async function useFakeTar(exitCode: number) {
  const script = `#!/bin/sh\nprintf 'archive bytes'\necho "tar: ./log: file changed as we read it" >&2\nexit ${exitCode}\n`
  await writeFile(join(binDir, 'tar'), script)
  await chmod(join(binDir, 'tar'), 0o755)
  process.env.PATH = `${binDir}:${originalPath}`
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString()
}

test('exit 1 with a handler ends normally', async () => {
  await useFakeTar(1)
  const changed: string[] = []
  const stream = tarFolder('/nowhere', { onFilesChanged: (stderr) => changed.push(stderr) })

  expect(await readAll(stream)).toBe('archive bytes')
  expect(changed).toEqual(['tar: ./log: file changed as we read it'])
})

test('exit 1 without a handler fails', async () => {
  await useFakeTar(1)
  await expect(readAll(tarFolder('/nowhere'))).rejects.toThrow(
    'tar of /nowhere exited with code 1: tar: ./log: file changed as we read it'
  )
})

test('exit 2 fails even with a handler', async () => {
  await useFakeTar(2)
  const changed: string[] = []
  const stream = tarFolder('/nowhere', { onFilesChanged: (stderr) => changed.push(stderr) })

  await expect(readAll(stream)).rejects.toThrow('exited with code 2')
  expect(changed).toEqual([])
})
