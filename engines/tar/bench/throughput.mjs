#!/usr/bin/env node
// Compares the tar engine's backup throughput with `tar -c | zstd -1 > /dev/null`, with the same
// pipeline followed by a sha256 of its output (`openssl dgst`), and with a staged pipeline (tar to
// a file, then zstd, then a copy) on a generated mixed volume.
//
// Usage: node bench/throughput.mjs [size in MiB, default 1024] [scratch folder, default os.tmpdir()]
// Run `npm run build -w engines/tar` first: the script loads dist/index.js. Needs GNU tar, zstd
// and openssl.
// Each pipeline runs once per round in the same run, so all of them see the same page cache.
// The first round warms the cache and is not counted.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

const ROUNDS = 3
const engineRss = []

/** A Storage that discards what it receives, like `> /dev/null`, and counts the bytes. */
class DiscardStorage {
  kind = 'discard'
  async put(_key, body) {
    let size = 0
    await pipeline(
      body,
      new Writable({
        write(chunk, _encoding, callback) {
          size += chunk.length
          callback()
        },
      })
    )
    return { size }
  }
  async get() {
    throw new Error('the discard storage keeps nothing to read')
  }
  async list() {
    return []
  }
  async stat() {
    return null
  }
  async delete() {}
  async close() {}
}

function generateVolume() {
  // About half compressible text, half random bytes, in files from 1 KiB to 64 MiB.
  const words = Array.from({ length: 2000 }, () => randomBytes(4).toString('hex'))
  let written = 0
  let index = 0
  const target = sizeMiB * 1024 * 1024
  while (written < target) {
    const folder = join(volume, `d${index % 50}`)
    mkdirSync(folder, { recursive: true })
    const kind = index % 10
    const size =
      kind < 6
        ? 1024 * (1 + (index % 64))
        : kind < 9
          ? 1024 * 1024 * (1 + (index % 8))
          : 64 * 1024 * 1024
    const length = Math.min(size, target - written)
    let data
    if (index % 2 === 0) {
      const parts = []
      let total = 0
      while (total < length) {
        const word = words[(total * 7 + index) % words.length] + ' '
        parts.push(word)
        total += word.length
      }
      data = Buffer.from(parts.join('')).subarray(0, length)
    } else {
      data = randomBytes(length)
    }
    writeFileSync(join(folder, `f${index}`), data)
    written += length
    index++
  }
  return index
}

function runShell(command) {
  const started = process.hrtime.bigint()
  execFileSync('bash', ['-o', 'pipefail', '-c', command], { stdio: 'ignore' })
  return Number(process.hrtime.bigint() - started) / 1e9
}

// Runs one engine backup in a child process, so its peak RSS is measured on its own.
function runEngine(round) {
  const workDir = join(scratch, `work-${round}`)
  mkdirSync(workDir)
  const output = execFileSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--engine-child', volume, workDir],
    {
      encoding: 'utf8',
    }
  )
  const result = JSON.parse(output)
  engineRss.push(result.maxRssMiB)
  return result.seconds
}

async function engineChild(path, workDir) {
  const { default: engine } = await import(new URL('../dist/index.js', import.meta.url).href)
  const context = {
    storage: new DiscardStorage(),
    options: { compression: 'zstd', level: 1 },
    workDir,
    signal: new AbortController().signal,
    log() {},
    progress() {},
  }
  const started = process.hrtime.bigint()
  await engine.backup(context, { snapshotId: 'bench', source: { kind: 'path', path }, tags: {} })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const maxRssMiB = process.resourceUsage().maxRSS / 1024
  process.stdout.write(JSON.stringify({ seconds, maxRssMiB }))
}

function cpuModel() {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((text) => text.startsWith('model name'))
  return line ? line.split(':')[1].trim() : 'unknown'
}

if (process.argv[2] === '--engine-child') {
  await engineChild(process.argv[3], process.argv[4])
  process.exit(0)
}

const sizeMiB = Number(process.argv[2] ?? 1024)
const scratch = mkdtempSync(join(process.argv[3] ?? os.tmpdir(), 'coffer-tar-bench-'))
const volume = join(scratch, 'volume')

try {
  const files = generateVolume()
  const bytes = Number(execFileSync('du', ['-sb', volume], { encoding: 'utf8' }).split('\t')[0])
  const staged = join(scratch, 'staged')
  mkdirSync(staged)
  const pipelines = {
    'tar -c | zstd -1 > /dev/null': () =>
      runShell(`tar -c -C ${volume} . | zstd -1 -q > /dev/null`),
    // The engine also hashes every stored byte with sha256; this is the same work in shell
    // tools. openssl uses the CPU's SHA extensions where sha256sum may not.
    'tar -c | zstd -1 | openssl sha256': () =>
      runShell(`tar -c -C ${volume} . | zstd -1 -q | openssl dgst -sha256 > /dev/null`),
    'staged (tar > file; zstd -1; cp)': () =>
      runShell(
        `tar -c -C ${volume} -f ${staged}/a.tar . && zstd -1 -q -f ${staged}/a.tar -o ${staged}/a.tar.zst && cp ${staged}/a.tar.zst ${staged}/copy.tar.zst && rm -f ${staged}/*`
      ),
    'engine (zstd level 1, discard storage)': (round) => runEngine(round),
  }

  const results = Object.fromEntries(Object.keys(pipelines).map((name) => [name, []]))
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, run] of Object.entries(pipelines)) {
      const seconds = await run(round)
      if (round > 0) {
        results[name].push(seconds)
      }
    }
  }

  console.log(
    `machine: ${os.cpus().length} logical CPUs (nproc ${execFileSync('nproc', { encoding: 'utf8' }).trim()}), ${cpuModel()}`
  )
  console.log(
    `node ${process.version}, ${execFileSync('tar', ['--version'], { encoding: 'utf8' }).split('\n')[0]}, zstd ${execFileSync('zstd', ['--version'], { encoding: 'utf8' }).trim()}, ${execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim()}`
  )
  console.log(
    `volume: ${files} files, ${(bytes / 1024 / 1024).toFixed(0)} MiB; ${ROUNDS} counted rounds after one warm-up round`
  )
  const baseline = Math.min(...results['tar -c | zstd -1 > /dev/null'])
  for (const [name, times] of Object.entries(results)) {
    const best = Math.min(...times)
    const throughput = bytes / 1024 / 1024 / best
    console.log(
      `${name.padEnd(42)} best ${best.toFixed(2)} s  ${throughput.toFixed(0)} MiB/s  ${(baseline / best).toFixed(2)}x of tar | zstd`
    )
  }
  console.log(
    `engine peak RSS per run: ${engineRss.map((value) => value.toFixed(0)).join(', ')} MiB`
  )
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
