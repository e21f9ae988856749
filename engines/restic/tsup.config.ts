import { defineConfig } from 'tsup'

// One self-contained ESM file: the SDK code the engine uses is bundled in, so the signed bundle
// runs on an agent without installing anything else.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node24',
  platform: 'node',
  dts: { resolve: ['@coffer/sdk'] },
  clean: true,
  sourcemap: false,
  splitting: false,
  noExternal: ['@coffer/sdk'],
})
