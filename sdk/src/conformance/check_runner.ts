import { describeError } from './engine_calls.js'
import type { CheckResult } from './report.js'

/** Thrown inside a check to mark it skipped, with the reason. */
export class SkipCheck extends Error {}

/** Runs checks one after another and records their results. */
export class CheckRunner {
  readonly results: CheckResult[] = []

  constructor(private readonly onCheck?: (check: CheckResult) => void) {}

  /**
   * Runs `body` as the check `name`. It passes when `body` returns no problems, fails when it
   * returns some or throws, and is skipped when it throws `SkipCheck`. Returns whether it passed.
   */
  async run(name: string, body: () => Promise<string[] | void>): Promise<boolean> {
    const started = Date.now()
    let result: CheckResult
    try {
      const problems = (await body()) ?? []
      result = {
        name,
        status: problems.length === 0 ? 'passed' : 'failed',
        messages: problems,
        durationMs: Date.now() - started,
      }
    } catch (error) {
      const skipped = error instanceof SkipCheck
      result = {
        name,
        status: skipped ? 'skipped' : 'failed',
        messages: [skipped ? error.message : `threw ${describeError(error)}`],
        durationMs: Date.now() - started,
      }
    }

    this.results.push(result)
    this.onCheck?.(result)
    return result.status === 'passed'
  }
}
