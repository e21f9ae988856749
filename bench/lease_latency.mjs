#!/usr/bin/env node
// Measures the controller's job lease under many agents polling at once, on SQLite and on
// PostgreSQL. For each database, the script migrates a fresh database, then enrolls the agents and
// queues the jobs through the app's services (bench/lease/app_task.mjs). It starts the HTTP server
// (bin/server.ts) on a free 127.0.0.1 port and runs one HTTP client per agent. Each client sends
// BENCH_ROUNDS sequential POST /api/agent/lease requests with waitSeconds 0. The script prints
// latency percentiles and checks against the jobs table that no job was leased twice.
//
// Usage: node bench/lease_latency.mjs [sqlite|pg ...] (both by default)
// Environment: BENCH_AGENTS (500), BENCH_JOBS (1000), BENCH_ROUNDS (4). For pg, source the
// postgres service's env file first (COFFER_SERVICES_DIR=/tmp/bench-services bash
// scripts/services/postgres.sh start). Its database is emptied with migration:fresh.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { loadAverage, printMachine, quantile } from './lib/machine.mjs'

const ROOT = new URL('../', import.meta.url).pathname
const AGENTS = Number(process.env.BENCH_AGENTS ?? 500)
const JOBS = Number(process.env.BENCH_JOBS ?? 1000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4)

/** Returns a TCP port that was free on 127.0.0.1 a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Runs a Node.js program with the TypeScript loader in the repository root and returns stdout. */
function runApp(args, env) {
  return execFileSync(process.execPath, ['--import', '@poppinss/ts-exec', ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
}

/** Sends one request and resolves with the status code and the parsed body, if any. */
function post(agent, port, path, token, body) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body)
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          'authorization': `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          'accept': 'application/json',
        },
      },
      (response) => {
        const chunks = []
        response.on('data', (chunk) => chunks.push(chunk))
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({ status: response.statusCode, body: text ? JSON.parse(text) : null })
        })
        response.on('error', reject)
      }
    )
    request.on('error', reject)
    request.end(payload)
  })
}

/** Polls until the server accepts TCP connections on `port`, or fails after `timeoutMs`. */
async function waitForServer(port, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`the controller exited with code ${child.exitCode} before it listened`)
    }

    const ready = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end()
        resolve(true)
      })
      socket.on('error', () => resolve(false))
    })
    if (ready) {
      return
    }

    await new Promise((resolve) => setTimeout(resolve, 200))
  }

  throw new Error(`the controller did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`)
}

/** Returns the CPU time a process has used so far (user plus system), in seconds. */
function cpuSeconds(pid) {
  // Fields 14 and 15 of /proc/<pid>/stat, counted after the command name in parentheses.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
}

/** Runs every agent's bounded polling loop at once and returns the latencies and leases. */
async function runClients(port, credentials) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: credentials.length + 10 })
  const latencies = { leased: [], empty: [] }
  const leases = []
  const failures = new Map()

  const started = performance.now()
  await Promise.all(
    credentials.map(async ({ id, token }) => {
      for (let round = 0; round < ROUNDS; round++) {
        const sent = performance.now()
        const response = await post(agent, port, '/api/agent/lease', token, {
          capacity: 1,
          waitSeconds: 0,
        })
        const milliseconds = performance.now() - sent

        if (response.status === 200) {
          latencies.leased.push(milliseconds)
          leases.push({ jobId: response.body.job.id, agentId: id })
        } else if (response.status === 204) {
          latencies.empty.push(milliseconds)
        } else {
          failures.set(response.status, (failures.get(response.status) ?? 0) + 1)
        }
      }
    })
  )
  const seconds = (performance.now() - started) / 1000
  agent.destroy()
  return { latencies, leases, failures, seconds }
}

function describe(values) {
  if (values.length === 0) {
    return 'none'
  }

  const sorted = [...values].sort((a, b) => a - b)
  const format = (value) => `${value.toFixed(0)} ms`
  return (
    `${sorted.length} requests, p50 ${format(quantile(sorted, 0.5))}, p90 ${format(quantile(sorted, 0.9))}, ` +
    `p99 ${format(quantile(sorted, 0.99))}, max ${format(sorted[sorted.length - 1])}`
  )
}

async function measure(database) {
  const scratch = mkdtempSync(join(os.tmpdir(), 'coffer-bench-lease-'))
  const port = await freePort()
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    APP_URL: `http://127.0.0.1:${port}`,
    DB_CONNECTION: database,
    SQLITE_PATH: join(scratch, 'coffer.sqlite3'),
  }
  if (database === 'pg' && !env.PG_PORT) {
    throw new Error(
      'PG_PORT is not set; start PostgreSQL with scripts/services/postgres.sh start and source its postgres.env'
    )
  }

  let server
  try {
    runApp(['ace.js', database === 'pg' ? 'migration:fresh' : 'migration:run', '--force'], env)
    const tokensFile = join(scratch, 'tokens.json')
    const seeded = JSON.parse(
      runApp(['bench/lease/app_task.mjs', 'seed', String(AGENTS), String(JOBS), tokensFile], env)
    )
    const credentials = JSON.parse(readFileSync(tokensFile, 'utf8'))

    const log = openSync(join(scratch, 'server.log'), 'a')
    server = spawn(process.execPath, ['--import', '@poppinss/ts-exec', 'bin/server.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', log, log],
    })
    await waitForServer(port, server)

    // One request first, so module loading and compilation on first use are not measured.
    const warmUp = new http.Agent({ keepAlive: false })
    const first = await post(warmUp, port, '/api/agent/lease', credentials[0].token, {
      capacity: 1,
      waitSeconds: 0,
    })
    if (first.status !== 200) {
      throw new Error(`the warm-up lease returned ${first.status}, expected 200 with a job`)
    }

    const cpuBefore = cpuSeconds(server.pid)
    const result = await runClients(port, credentials)
    const serverCpu = cpuSeconds(server.pid) - cpuBefore
    result.leases.push({ jobId: first.body.job.id, agentId: credentials[0].id })
    const load = loadAverage()
    server.kill('SIGTERM')
    await new Promise((resolve) => server.once('exit', resolve))
    server = undefined

    const leasesFile = join(scratch, 'leases.json')
    writeFileSync(leasesFile, JSON.stringify(result.leases))
    const checked = JSON.parse(runApp(['bench/lease/app_task.mjs', 'check', leasesFile], env))

    const total = result.latencies.leased.length + result.latencies.empty.length
    console.log(
      `${database}: ${AGENTS} agents x ${ROUNDS} requests, ${JOBS} queued jobs ` +
        `(seeded in ${seeded.enrollSeconds.toFixed(1)} s + ${seeded.enqueueSeconds.toFixed(1)} s), ` +
        `${total} responses in ${result.seconds.toFixed(1)} s (${(total / result.seconds).toFixed(0)} requests/s), load ${load}`
    )
    console.log(
      `  controller CPU during the run: ${serverCpu.toFixed(1)} s in ${result.seconds.toFixed(1)} s ` +
        `(${((serverCpu / result.seconds) * 100).toFixed(0)}% of one core)`
    )
    console.log(
      `  all:              ${describe([...result.latencies.leased, ...result.latencies.empty])}`
    )
    console.log(`  200 with a job:   ${describe(result.latencies.leased)}`)
    console.log(`  204 without job:  ${describe(result.latencies.empty)}`)
    if (result.failures.size > 0) {
      console.log(`  other statuses: ${JSON.stringify(Object.fromEntries(result.failures))}`)
    }
    console.log(
      `  check: ${checked.leasedInTable} jobs leased in the table, ${checked.received} leases received, ` +
        `${checked.queued} still queued, ` +
        `${checked.problems.length === 0 ? 'no job leased twice' : `${checked.problems.length} problems`}`
    )
    for (const problem of checked.problems.slice(0, 10)) {
      console.log(`    ${problem}`)
    }
    if (checked.problems.length > 0 || result.failures.size > 0) {
      process.exitCode = 1
    }
  } catch (error) {
    // The scratch folder is removed below, so show the end of the controller's log now.
    const log = readFileSync(join(scratch, 'server.log'), { encoding: 'utf8', flag: 'a+' })
    console.log(`controller log (last lines):\n${log.split('\n').slice(-30).join('\n')}`)
    throw error
  } finally {
    if (server) {
      server.kill('SIGTERM')
    }
    rmSync(scratch, { recursive: true, force: true })
  }
}

printMachine()
const databases = process.argv.length > 2 ? process.argv.slice(2) : ['sqlite', 'pg']
for (const database of databases) {
  await measure(database)
}
