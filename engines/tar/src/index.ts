import { defineEngine } from '@coffer/sdk'
import { runBackup } from './backup.js'
import { forgetSnapshots } from './forget.js'
import { listFiles, listSnapshots } from './listing.js'
import { describeTools } from './gnu_tar.js'
import { checkOptions } from './options.js'
import { runRestore } from './restore.js'
import { verifySnapshot } from './verify.js'

/** The `coffer/tar` engine: pax tar archives, compressed, optionally encrypted, with an index. */
export default defineEngine({
  id: 'coffer/tar',
  describe: describeTools,
  validateOptions: checkOptions,
  backup: runBackup,
  listSnapshots,
  listFiles,
  restore: runRestore,
  forget: forgetSnapshots,
  verify: verifySnapshot,
})
