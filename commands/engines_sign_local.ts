import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/**
 * Signs the workspace's engine bundles with this installation's local publisher key and
 * registers them, for trying Coffer on one machine without a released engine.
 */
export default class EnginesSignLocal extends BaseCommand {
  static commandName = 'engines:sign-local'
  static description =
    'Sign the built workspace engines with a local publisher key, accept the key and register the bundles'

  static options: CommandOptions = { startApp: true }

  async run() {
    const { signWorkspaceEngines } = await import('#services/engines/sign_workspace_engines')
    const { discoverInstalledEngines } = await import('#services/engines/discover_engines')

    const result = await signWorkspaceEngines()
    if (result.signed.length === 0) {
      this.logger.error(
        'No engine bundle found under engines/*/dist. Run "npm run build --workspaces" first.'
      )
      this.exitCode = 1
      return
    }

    const engines = await discoverInstalledEngines()
    for (const engine of engines) {
      const line = `${engine.engineId} ${engine.version}: ${engine.status}`
      if (engine.status === 'accepted') {
        this.logger.success(line)
      } else {
        this.logger.error(`${line} (${engine.rejectionReason})`)
      }
    }

    this.logger.info(`Local publisher key: ${result.publicKey}`)
    this.logger.info('Agents on this machine must trust it: set COFFER_TRUSTED_KEYS to that value.')
  }
}
