import type { Storage } from '@coffer/sdk'
import { readAll } from './stream_helpers.js'

/** Lists the keys under `prefix`, sorted. */
export async function listKeys(storage: Storage, prefix: string): Promise<string[]> {
  const objects = await storage.list(prefix)
  return objects.map((object) => object.key).sort()
}

/** Reads an object as UTF-8 text. */
export async function readText(storage: Storage, key: string): Promise<string> {
  const stream = await storage.get(key)
  const data = await readAll(stream)
  return data.toString()
}

/** Returns the stored size of an object, or undefined when it does not exist. */
export async function storedSize(storage: Storage, key: string): Promise<number | undefined> {
  const object = await storage.stat(key)
  return object?.size
}
