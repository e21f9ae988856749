import { chmod, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../src/cli.js'
import { temporaryFolder, TEST_ENGINE_DIR } from '../helpers.js'

let folder: Awaited<ReturnType<typeof temporaryFolder>>

async function run(args: string[]): Promise<{ code: number; output: string[]; errors: string }> {
  const output: string[] = []
  const errors: string[] = []
  const spy = vi
    .spyOn(console, 'error')
    .mockImplementation((line: string) => void errors.push(line))
  try {
    const code = await main(args, (line) => output.push(line))
    return { code, output, errors: errors.join('\n') }
  } finally {
    spy.mockRestore()
  }
}

beforeAll(async () => {
  folder = await temporaryFolder('cli')
})

afterAll(async () => {
  await folder?.remove()
})

describe('coffer-engine', () => {
  it('builds, signs and verifies', async () => {
    const out = join(folder.path, 'out')
    const keyFile = join(folder.path, 'publisher.pem')
    const bundle = join(out, 'coffer-test-echo-1.2.3.bundle')

    const built = await run(['build', '--package', TEST_ENGINE_DIR, '--out', out])
    expect(built.code).toBe(0)
    expect(built.output).toContain(`bundle: ${bundle}`)

    const keygen = await run(['keygen', '--out', keyFile])
    expect(keygen.code).toBe(0)
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    const publicKey = keygen.output
      .find((line) => line.startsWith('public key: '))!
      .slice('public key: '.length)

    process.env.COFFER_SIGNING_KEY_FILE = keyFile
    const signed = await run(['sign', bundle])
    delete process.env.COFFER_SIGNING_KEY_FILE
    expect(signed.code).toBe(0)
    const signature = JSON.parse(await readFile(`${bundle}.sig`, 'utf8'))
    expect(signature.id).toBe('coffer-test/echo')

    const verified = await run(['verify', bundle, '--trust', publicKey])
    expect(verified.code).toBe(0)
    expect(verified.output[0]).toContain('verified coffer-test/echo 1.2.3')

    const keysFile = join(folder.path, 'trusted.keys')
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(keysFile, `# publisher\n${publicKey} release key\n`)
    )
    expect((await run(['verify', bundle, '--trusted-keys', keysFile])).code).toBe(0)
  })

  it('rejects an untrusted signer', async () => {
    const out = join(folder.path, 'untrusted')
    await run(['build', '--package', TEST_ENGINE_DIR, '--out', out])
    const keyFile = join(folder.path, 'other.pem')
    await run(['keygen', '--out', keyFile])
    const bundle = join(out, 'coffer-test-echo-1.2.3.bundle')
    expect((await run(['sign', bundle, '--key', keyFile])).code).toBe(0)

    const stranger = 'ed25519:' + Buffer.alloc(32, 7).toString('base64')
    const result = await run(['verify', bundle, '--trust', stranger])
    expect(result.code).toBe(1)
    expect(result.errors).toContain('UNKNOWN_KEY')
  })

  it('rejects a readable key file', async () => {
    const keyFile = join(folder.path, 'open.pem')
    await run(['keygen', '--out', keyFile])
    await chmod(keyFile, 0o644)
    const result = await run([
      'sign',
      join(folder.path, 'out', 'coffer-test-echo-1.2.3.bundle'),
      '--key',
      keyFile,
    ])
    expect(result.code).toBe(1)
    expect(result.errors).toContain('chmod 600')
  })

  it('refuses to overwrite a key', async () => {
    const keyFile = join(folder.path, 'once.pem')
    expect((await run(['keygen', '--out', keyFile])).code).toBe(0)
    const again = await run(['keygen', '--out', keyFile])
    expect(again.code).toBe(1)
    expect(again.errors).toContain('already exists')
  })

  it('prints usage without a command', async () => {
    const result = await run([])
    expect(result.code).toBe(64)
    expect(result.output[0]).toContain('usage: coffer-engine')
  })
})
