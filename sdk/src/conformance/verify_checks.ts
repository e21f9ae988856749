import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import type { EngineCapabilities, SnapshotRef, VerifyLevel } from '../contract.js'
import { type CheckRunner, SkipCheck } from './check_runner.js'
import { callEngine, type CallSettings } from './engine_calls.js'

/** Artifacts larger than this are not corrupted by the kit, which holds one in memory. */
const MAX_CORRUPTED_BYTES = 256 * 1024 * 1024

/**
 * Verifies `snapshot` at each declared level, then flips one byte of its largest artifact and
 * expects a `data` verify to fail, then puts the artifact back.
 */
export async function checkVerify(
  snapshot: SnapshotRef,
  settings: CallSettings,
  capabilities: EngineCapabilities,
  checks: CheckRunner,
  name: (check: string) => string
): Promise<void> {
  const verify = (level: VerifyLevel) =>
    callEngine(settings, 'verify', (context) =>
      settings.engine.verify(context, { snapshot, level })
    )

  for (const level of capabilities.verifyLevels) {
    await checks.run(name(`verify ${level}`), async () => {
      const result = await verify(level)
      return result.ok
        ? []
        : [`verify ${level} of a clean snapshot failed: ${result.problems.join('; ')}`]
    })
  }

  await checks.run(name('verify detects corruption'), async () => {
    if (!capabilities.verifyLevels.includes('data')) {
      throw new SkipCheck('the engine does not declare the data verify level')
    }

    const largest = [...snapshot.artifacts].sort((a, b) => b.size - a.size)[0]
    if (largest === undefined || largest.size === 0 || largest.size > MAX_CORRUPTED_BYTES) {
      throw new SkipCheck('the snapshot has no artifact of 1 byte to 256 MiB to corrupt')
    }

    const original = await buffer(await settings.storage.get(largest.key))
    const corrupted = Buffer.from(original)
    const offset = Math.floor(corrupted.length / 2)
    corrupted[offset] ^= 0xff
    await settings.storage.put(largest.key, Readable.from([corrupted]))

    const problems: string[] = []
    try {
      // Rejecting is an acceptable way to report corruption, as long as it does not hang.
      const result = await verify('data').catch(() => ({ ok: false }))
      if (result.ok) {
        problems.push(`verify data passed although byte ${offset} of ${largest.key} was flipped`)
      }
    } finally {
      await settings.storage.put(largest.key, Readable.from([original]))
    }

    const again = await verify('data')
    if (!again.ok) {
      problems.push(
        `verify data failed after the artifact was restored: ${again.problems.join('; ')}`
      )
    }

    return problems
  })
}
