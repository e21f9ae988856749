import { execFile } from 'node:child_process'
import { isAbsolute } from 'node:path'
import { promisify } from 'node:util'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { localAgentCommand } from '#services/instances/install_command'

const run = promisify(execFile)

test.group('Local agent command', () => {
  test('runs npm run agent without sudo', ({ assert }) => {
    const command = localAgentCommand('http://127.0.0.1:3333', 'token-value', 'ed25519:key')
    const lines = command.split('\n')

    assert.lengthOf(lines, 2)
    assert.match(lines[0], /^export /)
    assert.equal(lines[1], 'npm run agent')
    assert.notInclude(command, 'sudo')
  })

  test('exports absolute folders and the token', async ({ assert }) => {
    const command = localAgentCommand('http://127.0.0.1:3333', 'token-value', 'ed25519:key')
    const exportLine = command.split('\n')[0]

    // The shell reads the export line as the user's shell would, and prints what the agent gets.
    const { stdout } = await run('sh', [
      '-c',
      `${exportLine}\nprintf '%s\\n' "$COFFER_STATE_DIR" "$COFFER_WORK_DIR" "$COFFER_ENROLLMENT_TOKEN" "$COFFER_TRUSTED_KEYS"`,
    ])
    const [stateDir, workDir, token, trustedKeys] = stdout.trimEnd().split('\n')

    assert.equal(stateDir, app.tmpPath('agent-state'))
    assert.isTrue(isAbsolute(stateDir))
    assert.equal(workDir, app.tmpPath('agent-work'))
    assert.isTrue(isAbsolute(workDir))
    assert.equal(token, 'token-value')
    assert.equal(trustedKeys, 'ed25519:key')
  })
})
