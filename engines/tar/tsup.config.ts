import { defineConfig } from 'tsup'

// One self-contained ESM file: @coffer/sdk and every other dependency are bundled in, so the
// packed package loads with nothing installed but Node.js itself.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node24',
  platform: 'node',
  dts: false,
  clean: true,
  sourcemap: false,
  splitting: false,
  noExternal: [/.*/],
})
