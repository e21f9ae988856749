import fs from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type { VolumeActivity } from './corpus.js'

const CHUNK_BYTES = 64 * 1024
const INTERVAL_MS = 2
/** Upper bound of appended bytes, so a slow backup cannot fill the disk. */
const MAX_APPENDED_BYTES = 512 * 1024 * 1024

/** Starts appending 64 KiB chunks to `file` every 2 ms until `stop` is called. */
export async function startAppender(file: string): Promise<VolumeActivity> {
  const handle = await fs.open(file, 'a')
  const chunk = Buffer.alloc(CHUNK_BYTES, 'appended while the backup reads this file\n')
  let stopped = false
  let appended = 0

  const loop = (async () => {
    while (!stopped && appended < MAX_APPENDED_BYTES) {
      await handle.write(chunk)
      appended += chunk.length
      await sleep(INTERVAL_MS)
    }

    await handle.close()
  })()

  // Let the first chunks land so the file is already changing when the backup starts.
  await sleep(20)

  return {
    async stop() {
      stopped = true
      await loop
    },
  }
}
