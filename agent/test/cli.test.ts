import { describe, expect, test } from 'vitest'
import { SETTINGS } from '../src/config/settings.js'
import { spawnAgent } from './helpers/agent_process.js'

describe('coffer-agent command', () => {
  test('help lists every setting', async () => {
    const agent = spawnAgent({}, ['--help'])
    const { code } = await agent.exited

    expect(code).toBe(0)
    for (const setting of SETTINGS) {
      expect(agent.output()).toContain(setting.name)
    }
  })

  test('missing controller URL exits 78', async () => {
    const agent = spawnAgent({})
    const { code } = await agent.exited

    expect(code).toBe(78)
    expect(agent.output()).toContain('COFFER_CONTROLLER_URL is not set')
  })

  test('unknown argument exits 64', async () => {
    const agent = spawnAgent({}, ['--concurrency=3'])
    const { code } = await agent.exited

    expect(code).toBe(64)
    expect(agent.output()).toContain('environment variables')
  })
})
