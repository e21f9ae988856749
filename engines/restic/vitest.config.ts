import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    alias: {
      // The remote-repository tests run the agent's SFTP and S3 drivers from source, so they test
      // the drivers as they are without a rebuild of the agent.
      '@coffer/agent/destinations': fileURLToPath(
        new URL('../../agent/src/destinations/index.ts', import.meta.url)
      ),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default (one worker fewer than the cores) runs the files one by one on 2 cores.
    // The files mostly wait on child processes and servers, so two workers overlap that waiting.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
})
