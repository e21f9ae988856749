import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
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
