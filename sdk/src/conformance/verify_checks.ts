import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import type { EngineCapabilities, SnapshotRef, VerifyLevel } from '../contract.js'
import type { StorageObject } from '../storage.js'
import { type CheckRunner, SkipCheck } from './check_runner.js'
import { callEngine, type CallSettings } from './engine_calls.js'

/** Artifacts larger than this are not corrupted by the kit, which holds one in memory. */
const MAX_CORRUPTED_BYTES = 256 * 1024 * 1024

/**
 * Verifies `snapshot` at each declared level, then flips one byte in the middle of the largest
 * object the backup stored and expects a `data` verify to report it, then puts the object back.
 * The candidates are the snapshot's artifacts and every object its backup created (`written`),
 * because an engine such as restic lists only a small snapshot file as its artifact and keeps the
 * file content in pack files. The largest object contains file content rather than metadata, so
 * the check fails an engine whose `data` level does not read the content.
 */
export async function checkVerify(
  snapshot: SnapshotRef,
  written: StorageObject[],
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

    const largest = [...snapshot.artifacts, ...written]
      .filter((object) => object.size > 0 && object.size <= MAX_CORRUPTED_BYTES)
      .sort((a, b) => b.size - a.size)[0]
    if (largest === undefined) {
      throw new SkipCheck('the backup stored no object of 1 byte to 256 MiB to corrupt')
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
        `verify data failed after ${largest.key} was put back: ${again.problems.join('; ')}`
      )
    }

    return problems
  })
}
