// Describes the machine a benchmark ran on, so every printed figure carries its context.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'

/** Returns the CPU model as /proc/cpuinfo names it, or `unknown`. */
export function cpuModel() {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((text) => text.startsWith('model name'))
  return line ? line.split(':')[1].trim() : 'unknown'
}

/** Returns the 1, 5 and 15 minute load averages, formatted with two decimals. */
export function loadAverage() {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')
}

/** Prints nproc, CPU model, memory, Node.js version, date and load average. */
export function printMachine() {
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim()
  const totalGiB = (os.totalmem() / 1024 ** 3).toFixed(1)
  const freeGiB = (os.freemem() / 1024 ** 3).toFixed(1)
  console.log(`date: ${new Date().toISOString()}`)
  console.log(
    `machine: nproc ${nproc}, ${cpuModel()}, memory ${totalGiB} GiB (${freeGiB} GiB free)`
  )
  console.log(`node ${process.version}, ${os.type()} ${os.release()}`)
  console.log(`load average (1, 5, 15 min): ${loadAverage()}`)
}

/** Reads the peak resident set size (VmHWM) of a live process from /proc, in MiB. */
export function peakRssMiB(pid = 'self') {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const line = status.split('\n').find((text) => text.startsWith('VmHWM:'))
  if (!line) {
    throw new Error(`/proc/${pid}/status has no VmHWM line; is the process still running?`)
  }

  return Number(line.split(/\s+/)[1]) / 1024
}

/** Returns the value at quantile `q` (0 to 1) of an ascending array, by the nearest-rank rule. */
export function quantile(sorted, q) {
  const rank = Math.max(1, Math.ceil(q * sorted.length))
  return sorted[Math.min(rank, sorted.length) - 1]
}

/** Formats a byte count in MiB with one decimal. */
export function mib(bytes) {
  return (bytes / 1024 / 1024).toFixed(1)
}
