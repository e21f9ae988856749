import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

/** Returns the sha256 of `data` as lowercase hex. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** Returns the sha256 of a file as lowercase hex, reading it as a stream. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer)
  }

  return hash.digest('hex')
}

/** Returns the sha256 of a whole bundle as lowercase hex: the value its signature covers. */
export function bundleSha256(bundle: Buffer): string {
  return sha256Hex(bundle)
}
