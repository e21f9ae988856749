import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PublicKeyInfo } from '@coffer/sdk'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ControllerClient } from '../../src/controller/client.js'
import { EngineStore } from '../../src/engines/engine_store.js'
import { buildTrustedKeys } from '../../src/engines/trusted_keys.js'
import { AcceptedEngines } from '../../src/state/accepted_engines.js'
import { FakeController } from '../helpers/fake_controller.js'
import { testLogger } from '../helpers/logger.js'
import { createTestPublisher, type TestBundle } from '../helpers/test_bundle.js'

describe('EngineStore', () => {
  const controller = new FakeController()
  const publisher = createTestPublisher()
  let root: string
  let client: ControllerClient
  let bundle: TestBundle

  beforeAll(async () => {
    await controller.start()
    root = await mkdtemp(join(tmpdir(), 'coffer-agent-engines-'))
    const enrolling = new ControllerClient(new URL(controller.url))
    const { token } = await enrolling.enroll({
      enrollmentToken: controller.enrollmentToken,
      hostname: 'test',
      agentVersion: '0.1.0',
    })
    client = new ControllerClient(new URL(controller.url), token)
    bundle = publisher.build('1.2.0')
    controller.addBundle(bundle)
  })

  afterAll(async () => {
    await controller.stop()
    await rm(root, { recursive: true, force: true })
  })

  async function openStore(name: string, keys: PublicKeyInfo[] = [publisher.publicKey]) {
    const folder = join(root, name)
    await mkdir(join(folder, 'engines'), { recursive: true })
    return new EngineStore({
      root: join(folder, 'engines'),
      client,
      trustedKeys: buildTrustedKeys(keys),
      accepted: await AcceptedEngines.open(join(folder, 'accepted.json')),
      agentVersion: '0.1.0',
      logger: testLogger(),
    })
  }

  const engineOf = (built: TestBundle) => ({
    id: built.id,
    version: built.version,
    digest: built.digest,
  })

  test('unpacks read-only and reuses the copy', async () => {
    const store = await openStore('cache')
    const prepared = await store.prepare(engineOf(bundle))

    expect(prepared.manifest.version).toBe('1.2.0')
    expect((await stat(prepared.dir)).mode & 0o777).toBe(0o555)
    expect((await stat(join(prepared.dir, 'engine.mjs'))).mode & 0o777).toBe(0o444)

    const again = await openStore('cache')
    await again.prepare(engineOf(bundle))
    expect(controller.bundleDownloads.get(bundle.digest)).toBe(1)
    expect(
      (await readdir(join(root, 'cache', 'engines'))).filter((name) => name.startsWith('.unpack-'))
    ).toEqual([])
  })

  test('altered signature is BAD_SIGNATURE', async () => {
    const other = publisher.build('1.2.1')
    const signature = JSON.parse(other.signatureText)
    signature.signature = Buffer.alloc(64, 7).toString('base64')
    controller.addBundle(other, other.bytes, other.digest, JSON.stringify(signature))
    const store = await openStore('signature')

    await expect(store.prepare(engineOf(other))).rejects.toMatchObject({ code: 'BAD_SIGNATURE' })
    expect(store.takeRejected()).toEqual([
      expect.objectContaining({ digest: other.digest, code: 'BAD_SIGNATURE' }),
    ])
    expect(store.takeRejected()).toEqual([])
  })

  test('job version mismatch is MANIFEST_MISMATCH', async () => {
    const store = await openStore('mismatch')

    await expect(store.prepare({ ...engineOf(bundle), version: '2.0.0' })).rejects.toMatchObject({
      code: 'MANIFEST_MISMATCH',
    })
  })

  test('no trusted key is UNKNOWN_KEY', async () => {
    const store = await openStore('nokeys', [])

    await expect(store.prepare(engineOf(bundle))).rejects.toThrow(/COFFER_TRUSTED_KEYS/)
  })

  test('invalid digest is rejected', async () => {
    const store = await openStore('digest')

    await expect(store.prepare({ ...engineOf(bundle), digest: '../../etc' })).rejects.toMatchObject(
      { code: 'INVALID_ARGUMENT' }
    )
  })
})
