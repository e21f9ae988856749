import { assert } from '@japa/assert'
import app from '@adonisjs/core/services/app'
import type { Config } from '@japa/runner/types'
import { pluginAdonisJS } from '@japa/plugin-adonisjs'
import { apiClient } from '@japa/api-client'
import testUtils from '@adonisjs/core/services/test_utils'
import { spec } from '@japa/runner/reporters'
import { SummaryFileReporter } from './reporters/summary_file_reporter.js'

/** Japa plugins shared by every suite. */
export const plugins: Config['plugins'] = [assert(), apiClient(), pluginAdonisJS(app)]

/** The spec reporter for people, plus a JSON totals file for the test script. */
export const reporters: Config['reporters'] = {
  activated: ['spec', 'summary-file'],
  list: [
    spec(),
    {
      name: 'summary-file',
      handler: (...args) => new SummaryFileReporter().boot(...args),
    },
  ],
}

/** Runs once before and after all suites. */
export const runnerHooks: Required<Pick<Config, 'setup' | 'teardown'>> = {
  setup: [() => testUtils.db().migrate()],
  teardown: [],
}

/** Starts the HTTP server for the suites that send requests to it. */
export const configureSuite: Config['configureSuite'] = (suite) => {
  if (['functional', 'e2e'].includes(suite.name)) {
    return suite.setup(() => testUtils.httpServer().start())
  }
}
