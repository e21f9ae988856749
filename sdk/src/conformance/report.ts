/** The outcome of one check of the conformance kit. */
export interface CheckResult {
  /** Such as `links: restore all` or `hostile: dotdot, merge`. */
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

/** Options of `formatReport`. */
export interface FormatReportOptions {
  /** Lists only failed checks (and skipped ones with `withSkipped`). */
  onlyFailed?: boolean
  /** With `onlyFailed`, lists skipped checks too, each with its reason. */
  withSkipped?: boolean
}

/**
 * Formats a report as text: the verdict of `formatVerdict`, then a line per check with its
 * messages indented below.
 */
export function formatReport(report: ConformanceReport, options: FormatReportOptions = {}) {
  const lines = [`conformance of ${report.engineId}: ${formatVerdict(report)}`]
  for (const check of report.checks) {
    const listed =
      !options.onlyFailed ||
      check.status === 'failed' ||
      (options.withSkipped === true && check.status === 'skipped')
    if (!listed) {
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
 * Returns `passed`, `passed with N checks skipped` or `FAILED N of M checks`, so a run that
 * skipped checks never reads as a plain pass.
 */
export function formatVerdict(report: ConformanceReport): string {
  const total = report.checks.length
  const failed = report.checks.filter((check) => check.status === 'failed').length
  const skipped = report.checks.filter((check) => check.status === 'skipped').length
  const skippedPart = skipped === 1 ? '1 check skipped' : `${skipped} checks skipped`
  if (failed > 0) {
    return `FAILED ${failed} of ${total} checks` + (skipped > 0 ? `, ${skippedPart}` : '')
  }

  return skipped > 0 ? `passed with ${skippedPart}` : 'passed'
}

/** Tells whether a check belongs to restore safety: the `hostile: ...` checks. */
export function isRestoreSafetyCheck(check: CheckResult): boolean {
  return check.name.startsWith('hostile: ')
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
