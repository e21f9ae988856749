#!/usr/bin/env node
// Measures full restore throughput of each engine: back up a mixed volume, restore the snapshot
// into an empty folder, and compare the restored tree with the volume (`diff -r`). The engines
// run in child processes through the SDK protocol, with a LocalStorage destination on the same
// disk, so the figures exclude network time.
//
// Usage: node bench/engine_restore.mjs [size in MiB, default 1024] [engines, default tar restic]
// Needs `npm run build -w sdk -w engines/tar -w engines/restic` and restic.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { callFolder, ENGINES, removeTree, startEngine } from './lib/engines.mjs'
import { loadAverage, mib, printMachine } from './lib/machine.mjs'
import { generateVolume } from './lib/volume.mjs'

const sizeMiB = Number(process.argv[2] ?? 1024)
const names = process.argv.length > 3 ? process.argv.slice(3) : ['tar', 'restic']
const scratch = mkdtempSync(join(os.tmpdir(), 'coffer-bench-restore-'))

try {
  printMachine()
  const volume = join(scratch, 'volume')
  const generated = generateVolume(volume, sizeMiB)
  console.log(`volume: ${generated.files} files, ${mib(generated.bytes)} MiB`)

  for (const name of names) {
    const destination = join(scratch, `destination-${name}`)
    const target = join(scratch, `restored-${name}`)
    mkdirSync(target)
    const { engine, storage } = await startEngine(name, scratch, destination)
    const options = ENGINES[name].options()
    try {
      const backup = await engine.backup(
        { options, workDir: callFolder(scratch) },
        { snapshotId: `bench-${name}`, source: { kind: 'path', path: volume }, tags: {} }
      )

      const started = performance.now()
      const restored = await engine.restore(
        { options, workDir: callFolder(scratch) },
        { snapshot: backup.snapshot, target, mode: 'replace' }
      )
      const seconds = (performance.now() - started) / 1000

      // diff exits non-zero on any difference, which stops the benchmark with its output.
      execFileSync('diff', ['-r', '-q', volume, target], { stdio: 'inherit' })
      console.log(
        `${name.padEnd(6)} restore: ${seconds.toFixed(1)} s, ${(generated.bytes / 1024 / 1024 / seconds).toFixed(0)} MiB/s, ` +
          `${restored.files} files, ${mib(restored.bytesWritten)} MiB written, identical to the volume, load ${loadAverage()}`
      )
    } finally {
      await engine.close()
      await storage.close()
      removeTree(target)
      removeTree(destination)
    }
  }
} finally {
  removeTree(scratch)
}
