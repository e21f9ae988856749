import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import app from '@adonisjs/core/services/app'
import {
  describePublicKey,
  formatSignature,
  generateSigningKey,
  loadPrivateKeyFile,
  signBundle,
  writePrivateKeyFile,
} from '@coffer/sdk'
import PublisherKey from '#models/publisher_key'

/** Name under which the local publisher key is accepted on the Engines page. */
export const LOCAL_PUBLISHER_KEY_NAME = 'Local publisher key (this installation)'

/** Returns the path of this installation's local publisher key, outside the tracked files. */
export function localPublisherKeyPath() {
  return app.tmpPath('keys', 'local-publisher.pem')
}

/**
 * Signs the built bundles of the workspace's engines (engines/<name>/dist/*.bundle) with this
 * installation's local publisher key, creating the key on first use (mode 0600), and accepts
 * the key as a publisher key. Returns the public key, which agents on this machine must trust.
 *
 * NOTE: this is for trying Coffer and for development. Released engines are signed with the
 * publisher's own key, which never lives on the controller.
 */
export async function signWorkspaceEngines() {
  const keyPath = localPublisherKeyPath()
  if (!(await exists(keyPath))) {
    await mkdir(dirname(keyPath), { recursive: true, mode: 0o700 })
    await writePrivateKeyFile(keyPath, generateSigningKey().privateKeyPem)
  }

  const privateKey = await loadPrivateKeyFile(keyPath)
  const publicKey = describePublicKey(privateKey)
  await PublisherKey.updateOrCreate(
    { keyId: publicKey.keyId },
    { name: LOCAL_PUBLISHER_KEY_NAME, publicKey: publicKey.text }
  )

  const signed: string[] = []
  for (const engine of await readdir(app.makePath('engines')).catch(() => [])) {
    const dist = app.makePath('engines', engine, 'dist')
    for (const name of await readdir(dist).catch(() => [])) {
      if (!name.endsWith('.bundle')) {
        continue
      }
      const bundlePath = join(dist, name)
      const signature = signBundle(await readFile(bundlePath), privateKey)
      await writeFile(`${bundlePath}.sig`, formatSignature(signature))
      signed.push(bundlePath)
    }
  }

  return { publicKey: publicKey.text, keyId: publicKey.keyId, signed }
}

async function exists(path: string) {
  return stat(path).then(
    () => true,
    () => false
  )
}
