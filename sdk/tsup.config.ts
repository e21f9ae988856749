import { defineConfig } from 'tsup'

// ESM builds of the library (`.`), the engine build API (`./build`), the `coffer-engine` command,
// and the runner that the host starts as `node dist/engine_runner.js <bundle dir>` for each engine.
// The runner path is resolved next to the library's own output, so every entry stays in dist/.
export default defineConfig({
  entry: {
    'index': 'src/index.ts',
    'build/index': 'src/build/index.ts',
    'cli': 'src/cli.ts',
    'engine_runner': 'src/engine_runner.ts',
  },
  format: ['esm'],
  target: 'node24',
  platform: 'node',
  dts: { entry: { 'index': 'src/index.ts', 'build/index': 'src/build/index.ts' } },
  clean: true,
  sourcemap: false,
  splitting: true,
})
