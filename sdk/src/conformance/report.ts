/** The outcome of one check of the conformance kit. */
export interface CheckResult {
  /** Such as `links: restore all` or `hostile: dotdot`. */
  name: string
  status: 'passed' | 'failed' | 'skipped'
  /** Why it failed or was skipped, one message per problem. */
  messages: string[]
  durationMs: number
}

/** Every check of a conformance run. `passed` is true when no check failed. */
export interface ConformanceReport {
  engineId: string
  passed: boolean
  checks: CheckResult[]
}

/** Formats a report as text: a line per check, its messages indented below. */
export function formatReport(report: ConformanceReport, options: { onlyFailed?: boolean } = {}) {
  const lines = [`conformance of ${report.engineId}: ${report.passed ? 'passed' : 'FAILED'}`]
  for (const check of report.checks) {
    if (options.onlyFailed && check.status !== 'failed') {
      continue
    }

    lines.push(`${check.status.padEnd(7)} ${check.name} (${check.durationMs} ms)`)
    // A broken engine can produce thousands of differences; the first 50 show the pattern.
    for (const message of check.messages.slice(0, 50)) {
      lines.push(`          ${message}`)
    }

    if (check.messages.length > 50) {
      lines.push(`          ... and ${check.messages.length - 50} more`)
    }
  }

  return lines.join('\n')
}

/**
 * Throws an error listing every failed check, for use inside a test:
 * `assertConformance(await runConformance(...))`.
 */
export function assertConformance(report: ConformanceReport): void {
  if (report.passed) {
    return
  }

  throw new Error(formatReport(report, { onlyFailed: true }))
}
