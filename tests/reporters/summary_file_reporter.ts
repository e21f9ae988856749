import { writeFileSync } from 'node:fs'
import { BaseReporter } from '@japa/runner/core'

/**
 * Writes the run's totals as JSON to the file named by COFFER_TEST_SUMMARY, so the test script
 * can add Japa's counts to vitest's in one closing line.
 */
export class SummaryFileReporter extends BaseReporter {
  protected async end() {
    const target = process.env.COFFER_TEST_SUMMARY
    if (!target || !this.runner) {
      return
    }

    const { aggregates } = this.runner.getSummary()
    writeFileSync(
      target,
      JSON.stringify({
        passed: aggregates.passed,
        failed: aggregates.failed + aggregates.regression,
      })
    )
  }
}
