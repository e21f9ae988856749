#!/usr/bin/env node
// Measures the peak memory of a tar engine backup run the way the agent runs it: the engine in a
// child process speaking the SDK protocol (startEngineProcess), uploading to a LocalStorage.
// Peak RSS is VmHWM from /proc/<pid>/status, read for the engine child and for the host process
// (the agent side) after the backup. Each volume size gets a fresh host process, so the peaks of
// one size do not carry over to the next.
//
// Usage: node bench/engine_memory.mjs [sizes in MiB, default 256 2048]
// Needs `npm run build -w sdk -w engines/tar`. Volumes are generated in a temporary folder and
// removed afterwards.
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { callFolder, ENGINES, removeTree, startEngine } from './lib/engines.mjs'
import { loadAverage, mib, peakRssMiB, printMachine } from './lib/machine.mjs'
import { generateVolume } from './lib/volume.mjs'

/** Runs one backup in this process as the host and prints the figures as JSON. */
async function hostChild(volume, scratch) {
  const { engine, storage } = await startEngine('tar', scratch, join(scratch, 'destination'))
  try {
    const started = performance.now()
    const result = await engine.backup(
      { options: ENGINES.tar.options(), workDir: callFolder(scratch) },
      { snapshotId: 'bench-memory', source: { kind: 'path', path: volume }, tags: {} }
    )
    const seconds = (performance.now() - started) / 1000
    const enginePeak = peakRssMiB(engine.pid)
    const hostPeak = peakRssMiB()
    process.stdout.write(JSON.stringify({ seconds, enginePeak, hostPeak, stats: result.stats }))
  } finally {
    await engine.close()
    await storage.close()
  }
}

async function main(sizes) {
  printMachine()
  console.log('tar engine backup through startEngineProcess to LocalStorage, zstd level 3')
  for (const sizeMiB of sizes) {
    const scratch = mkdtempSync(join(os.tmpdir(), 'coffer-bench-memory-'))
    try {
      const volume = join(scratch, 'volume')
      const generated = generateVolume(volume, sizeMiB)
      const output = execFileSync(
        process.execPath,
        [fileURLToPath(import.meta.url), '--host-child', volume, scratch],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1024 * 1024 }
      )
      const figures = JSON.parse(output)
      const throughput = generated.bytes / 1024 / 1024 / figures.seconds
      console.log(
        `${String(sizeMiB).padStart(5)} MiB, ${generated.files} files: ${figures.seconds.toFixed(1)} s ` +
          `(${throughput.toFixed(0)} MiB/s), stored ${mib(figures.stats.bytesStored)} MiB, ` +
          `peak RSS engine child ${figures.enginePeak.toFixed(0)} MiB, ` +
          `host (agent side) ${figures.hostPeak.toFixed(0)} MiB, load ${loadAverage()}`
      )
    } finally {
      removeTree(scratch)
    }
  }
}

if (process.argv[2] === '--host-child') {
  await hostChild(process.argv[3], process.argv[4])
  process.exit(0)
}

const sizes = process.argv.slice(2).map(Number)
await main(sizes.length > 0 ? sizes : [256, 2048])
