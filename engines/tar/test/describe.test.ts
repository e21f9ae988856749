import { execFileSync } from 'node:child_process'
import { expect, test } from 'vitest'
import engine from '../src/index.js'

test('describe reports GNU tar', async () => {
  const printed = execFileSync('tar', ['--version'], { encoding: 'utf8' }).split('\n')[0]
  const description = await engine.describe!({} as never)
  expect(printed).toContain(description.tools!.tar)
  expect(description.tools!.tar).toMatch(/^\d+\.\d+/)
})
