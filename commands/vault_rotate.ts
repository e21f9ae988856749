import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/**
 * Re-encrypts every secret in the registered columns under the current master key. Run it
 * after restarting every controller with the new MASTER_KEY and the old key in
 * MASTER_KEY_PREVIOUS; the running controllers read both keys meanwhile. Each row is updated
 * only if it still contains the value that was read, so a concurrent change from the panel is
 * never overwritten (such rows are read again and retried).
 */
export default class VaultRotate extends BaseCommand {
  static commandName = 'vault:rotate'
  static description =
    'Re-encrypt every stored secret under the current MASTER_KEY (old keys in MASTER_KEY_PREVIOUS)'

  static options: CommandOptions = {
    startApp: true,
  }

  @flags.boolean({ description: 'Count the secrets that need rotation without changing them' })
  declare dryRun: boolean

  /**
   * Imports every module under app/services and app/models, so each one that stores secrets
   * has registered its columns with the vault before the rotation reads the registry.
   */
  async #loadColumnRegistrations() {
    for (const folder of ['app/services', 'app/models']) {
      const root = this.app.makePath(folder)
      const entries = await readdir(root, { recursive: true, withFileTypes: true })
      for (const entry of entries) {
        const isModule = /\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')
        if (!entry.isFile() || !isModule) {
          continue
        }
        await import(pathToFileURL(join(entry.parentPath, entry.name)).href)
      }
    }
  }

  async run() {
    await this.#loadColumnRegistrations()

    const { default: db } = await import('@adonisjs/lucid/services/db')
    const { default: vault, encryptedColumns, isEnvelope } = await import('#services/vault')
    const { default: audit } = await import('#services/audit')

    const current = vault.instance.current.id
    this.logger.info(
      `current key ${current}; also decrypting with: ${vault.instance.keyIds.slice(1).join(', ') || 'none'}`
    )

    let rotated = 0
    let failed = 0
    let pending = 0

    for (const column of encryptedColumns) {
      const label = `${column.table}.${column.column}`
      const query = db
        .from(column.table)
        .select(column.idColumn, column.column)
        .whereNotNull(column.column)
      if (column.where) {
        query.where(column.where)
      }
      const rows = await query

      for (const row of rows) {
        const rowId = row[column.idColumn]
        let value = row[column.column]

        for (let attempt = 1; attempt <= 3; attempt++) {
          if (!isEnvelope(value) || !vault.needsRotation(value)) {
            break
          }
          if (this.dryRun) {
            pending++
            break
          }

          let next: string
          try {
            next = vault.reencrypt(value, { table: column.table, column: column.column, rowId })
          } catch (error) {
            failed++
            this.logger.error(`${label} row ${rowId}: ${(error as Error).message}`)
            break
          }

          const updated = await db.transaction(async (trx) => {
            return trx
              .from(column.table)
              .where(column.idColumn, rowId)
              .where(column.column, value)
              .update({ [column.column]: next })
          })
          if (Number(updated) > 0) {
            rotated++
            break
          }

          const fresh = await db
            .from(column.table)
            .select(column.column)
            .where(column.idColumn, rowId)
            .first()
          value = fresh?.[column.column] ?? null
          if (attempt === 3 && isEnvelope(value) && vault.needsRotation(value)) {
            failed++
            this.logger.error(
              `${label} row ${rowId}: the value kept changing; run vault:rotate again`
            )
          }
        }
      }
    }

    if (this.dryRun) {
      this.logger.info(`${pending} secret(s) in ${encryptedColumns.length} column(s) need rotation`)
      return
    }

    await audit.record(null, 'secrets.rotated', { keyId: current, rotated, failed })
    if (failed > 0) {
      this.logger.error(
        `rotated ${rotated} secret(s); ${failed} failed. Keep MASTER_KEY_PREVIOUS until a run reports no failures.`
      )
      this.exitCode = 1
      return
    }
    this.logger.success(
      `rotated ${rotated} secret(s) to key ${current}. You can now remove MASTER_KEY_PREVIOUS.`
    )
  }
}
