import { randomBytes } from 'node:crypto'
import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/** Prints a new random master key for MASTER_KEY. */
export default class VaultGenerateKey extends BaseCommand {
  static commandName = 'vault:generate-key'
  static description = 'Print a new random master key (base64 of 32 bytes) for MASTER_KEY'

  static options: CommandOptions = {
    startApp: false,
  }

  async run() {
    this.logger.log(randomBytes(32).toString('base64'))
  }
}
