#!/usr/bin/env node
// Measures the restic engine's full backup of a mixed volume, then an incremental backup after
// 1% of the files were rewritten with new random bytes: time, and bytes the repository grew by.
// The engine runs in a child process through the SDK protocol, with a LocalStorage destination.
//
// Usage: node bench/restic_incremental.mjs [size in MiB, default 1024] [percent changed, default 1]
// Needs `npm run build -w sdk -w engines/restic` and restic (RESTIC_BINARY or restic on PATH).
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { callFolder, ENGINES, removeTree, startEngine } from './lib/engines.mjs'
import { loadAverage, mib, printMachine } from './lib/machine.mjs'
import { changeFiles, generateVolume } from './lib/volume.mjs'

/** Returns the bytes under `folder` as `du -sb` counts them. */
function folderBytes(folder) {
  return Number(execFileSync('du', ['-sb', folder], { encoding: 'utf8' }).split('\t')[0])
}

const sizeMiB = Number(process.argv[2] ?? 1024)
const percent = Number(process.argv[3] ?? 1)
const scratch = mkdtempSync(join(os.tmpdir(), 'coffer-bench-restic-'))

try {
  printMachine()
  console.log(
    `restic ${execFileSync(process.env.RESTIC_BINARY ?? 'restic', ['version'], { encoding: 'utf8' }).trim()}`
  )
  const volume = join(scratch, 'volume')
  const destination = join(scratch, 'destination')
  const generated = generateVolume(volume, sizeMiB)
  console.log(`volume: ${generated.files} files, ${mib(generated.bytes)} MiB`)

  const { engine, storage } = await startEngine('restic', scratch, destination)
  const options = ENGINES.restic.options()
  const backup = async (snapshotId) => {
    const started = performance.now()
    const result = await engine.backup(
      { options, workDir: callFolder(scratch) },
      { snapshotId, source: { kind: 'path', path: volume }, tags: {} }
    )
    return { seconds: (performance.now() - started) / 1000, stats: result.stats }
  }

  try {
    const full = await backup('bench-full')
    const afterFull = folderBytes(destination)
    console.log(
      `full backup: ${full.seconds.toFixed(1)} s (${(generated.bytes / 1024 / 1024 / full.seconds).toFixed(0)} MiB/s), ` +
        `repository ${mib(afterFull)} MiB, engine bytesStored ${mib(full.stats.bytesStored)} MiB, load ${loadAverage()}`
    )

    const changed = changeFiles(volume, percent)
    const incremental = await backup('bench-incremental')
    const afterIncremental = folderBytes(destination)
    console.log(
      `changed ${changed.files} of ${changed.total} files (${percent}%), ${mib(changed.bytes)} MiB rewritten with random bytes`
    )
    console.log(
      `incremental backup: ${incremental.seconds.toFixed(1)} s, repository grew by ` +
        `${mib(afterIncremental - afterFull)} MiB, engine bytesStored ${mib(incremental.stats.bytesStored)} MiB, load ${loadAverage()}`
    )
  } finally {
    await engine.close()
    await storage.close()
  }
} finally {
  removeTree(scratch)
}
