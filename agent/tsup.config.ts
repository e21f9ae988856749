import { existsSync } from 'node:fs'
import { defineConfig } from 'tsup'

// One ESM build per entry: the library, the destination drivers (also used by the controller's
// Test button) and the `coffer-agent` command once src/cli.ts exists.
const entries = ['src/index.ts', 'src/destinations/index.ts', 'src/cli.ts'].filter((entry) =>
  existsSync(entry)
)

export default defineConfig({
  entry: entries,
  format: ['esm'],
  target: 'node24',
  platform: 'node',
  dts: { entry: entries.filter((entry) => entry !== 'src/cli.ts') },
  clean: true,
  sourcemap: false,
  splitting: true,
})
