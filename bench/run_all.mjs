#!/usr/bin/env node
// Runs every Coffer benchmark once, in sequence, and prints their figures with the machine they
// ran on. Not part of the test command: run it on demand, on an otherwise idle machine when
// possible, because each figure comes from a single run.
//
// Usage, from the repository root:
//   . scripts/node-env.sh
//   npm run build -w sdk -w engines/tar -w engines/restic
//   COFFER_SERVICES_DIR=/tmp/bench-services bash scripts/services/postgres.sh start
//   . /tmp/bench-services/postgres.env
//   node bench/run_all.mjs
// Without PG_PORT in the environment, the lease benchmark runs on SQLite only and prints
// a note saying why.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { loadAverage, printMachine } from './lib/machine.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

/** Prints the first line of a tool's version output, or that it is missing. */
function toolVersion(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim().split('\n')[0]
  } catch (error) {
    return `${command}: not available (${error.code ?? error.message})`
  }
}

/** Runs one benchmark script with Node.js, its output going straight to this output. */
function runStep(title, script, args = []) {
  console.log(`\n== ${title}: node ${script} ${args.join(' ')}`.trimEnd())
  console.log(`load average before (1, 5, 15 min): ${loadAverage()}`)
  const started = performance.now()
  try {
    execFileSync(process.execPath, [script, ...args], { cwd: ROOT, stdio: 'inherit' })
  } catch (error) {
    console.log(
      `${title} failed (${error.status ?? error.message}); the figures above are incomplete`
    )
    process.exitCode = 1
  }

  console.log(`${title} took ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

printMachine()
console.log(toolVersion('tar', ['--version']))
console.log(toolVersion('zstd', ['--version']))
console.log(toolVersion(process.env.RESTIC_BINARY ?? 'restic', ['version']))

runStep('1. tar engine backup throughput', 'engines/tar/bench/throughput.mjs', ['1024'])
runStep('2. agent peak memory, tar engine out of process', 'bench/engine_memory.mjs', [
  '256',
  '2048',
])
runStep('3. restic full and incremental backup', 'bench/restic_incremental.mjs', ['1024', '1'])
runStep('4. restore throughput', 'bench/engine_restore.mjs', ['1024', 'tar', 'restic'])

const databases = process.env.PG_PORT ? ['sqlite', 'pg'] : ['sqlite']
if (!process.env.PG_PORT) {
  console.log(
    '\nPG_PORT is not set, so the lease benchmark skips PostgreSQL; source postgres.env to include it'
  )
}
runStep('5. job lease under 500 polling agents', 'bench/lease_latency.mjs', databases)
