import { access, appendFile, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../src/cli.js'
import { generateSigningKey } from '../../src/bundle/keys.js'
import { packTar, readTar } from '../../src/bundle/tar.js'
import { SDK_VERSION } from '../../src/version.js'
import { sampleEntry, writeEnginePackage } from '../build/engine_package.js'
import { temporaryFolder, TEST_ENGINE_DIR } from '../helpers.js'

const BUNDLE_NAME = 'coffer-test-echo-1.2.3.bundle'
const key = generateSigningKey()
// The base64 body of the PEM, which carries the secret seed.
const keyBody = key.privateKeyPem.split('\n')[1]

let folder: Awaited<ReturnType<typeof temporaryFolder>>
let keyFile: string
let publicKey: string

async function run(args: string[]): Promise<{ code: number; output: string; errors: string }> {
  const output: string[] = []
  const errors: string[] = []
  const spy = vi
    .spyOn(console, 'error')
    .mockImplementation((line: string) => void errors.push(line))
  try {
    const code = await main(args, (line) => output.push(line))
    return { code, output: output.join('\n'), errors: errors.join('\n') }
  } finally {
    spy.mockRestore()
  }
}

// Builds the test engine into a new folder and returns the bundle's path.
async function buildInto(name: string): Promise<string> {
  const out = join(folder.path, name)
  const built = await run(['build', '--package', TEST_ENGINE_DIR, '--out', out])
  expect(built.code, built.errors).toBe(0)
  return join(out, BUNDLE_NAME)
}

beforeAll(async () => {
  folder = await temporaryFolder('cli-errors')
  keyFile = join(folder.path, 'keys', 'publisher.pem')
  const keygen = await run(['keygen', '--out', keyFile])
  expect(keygen.code, keygen.errors).toBe(0)
  publicKey = /public key: (\S+)/.exec(keygen.output)![1]
})

afterAll(async () => {
  await folder?.remove()
})

describe('key material in sign errors', () => {
  it('rejects key text in --key without quoting it', async () => {
    const bundle = await buildInto('key-text')
    const result = await run(['sign', bundle, `--key=${key.privateKeyPem}`])
    expect(result.code).toBe(1)
    expect(result.errors).toContain('--key contains key text instead of a file path')
    expect(result.errors).toContain('pass the path of the private key file')
    expect(result.errors).not.toContain(keyBody)
    expect(result.errors).not.toContain('BEGIN')
  })

  it('rejects key text in COFFER_SIGNING_KEY_FILE', async () => {
    const bundle = await buildInto('key-env')
    vi.stubEnv('COFFER_SIGNING_KEY_FILE', key.privateKeyPem)
    try {
      const result = await run(['sign', bundle])
      expect(result.code).toBe(1)
      expect(result.errors).toContain('COFFER_SIGNING_KEY_FILE contains key text')
      expect(result.errors).not.toContain(keyBody)
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('hides key text in argument errors', async () => {
    const result = await run(['sign', 'b.bundle', key.privateKeyPem])
    expect(result.code).toBe(64)
    expect(result.errors).toContain('[key material hidden]')
    expect(result.errors).not.toContain(keyBody)
  })

  it('rejects a public key file as --key', async () => {
    const bundle = await buildInto('public-key')
    const publicKeyFile = join(folder.path, 'publisher.pub')
    await writeFile(publicKeyFile, `${publicKey}\n`, { mode: 0o600 })
    const result = await run(['sign', bundle, '--key', publicKeyFile])
    expect(result.code).toBe(1)
    expect(result.errors).toContain('is a public key; sign with the private key file')
  })
})

describe('missing files', () => {
  it('names a missing bundle', async () => {
    const bundle = join(folder.path, 'nowhere', BUNDLE_NAME)
    const result = await run(['sign', bundle, '--key', keyFile])
    expect(result.errors).toContain(`error NOT_FOUND: bundle not found: ${bundle}`)
    expect(result.errors).toContain('coffer-engine build')
  })

  it('names a missing key file', async () => {
    const bundle = await buildInto('missing-key')
    const missing = join(folder.path, 'missing.pem')
    const result = await run(['sign', bundle, '--key', missing])
    expect(result.errors).toContain(`error NOT_FOUND: private key file not found: ${missing}`)
  })

  it('names a missing signature', async () => {
    const bundle = await buildInto('missing-sig')
    const result = await run(['verify', bundle, '--trust', publicKey])
    expect(result.errors).toContain(`error NOT_FOUND: signature file not found: ${bundle}.sig`)
    expect(result.errors).toContain('coffer-engine sign <bundle>')
  })

  it('names a missing trusted keys file', async () => {
    const bundle = await buildInto('missing-keys-file')
    const missing = join(folder.path, 'trusted.keys')
    const result = await run(['verify', bundle, '--trusted-keys', missing])
    expect(result.errors).toContain(`error NOT_FOUND: trusted keys file not found: ${missing}`)
  })

  it('creates the folders of keygen --out', async () => {
    const path = join(folder.path, 'home', '.config', 'coffer', 'acme-engines.pem')
    const result = await run(['keygen', '--out', path])
    expect(result.code, result.errors).toBe(0)
    expect((await stat(join(folder.path, 'home', '.config', 'coffer'))).mode & 0o777).toBe(0o700)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
  })
})

describe('stale signatures', () => {
  it('tells an author to sign a rebuilt bundle again', async () => {
    const bundle = await buildInto('rebuilt')
    expect((await run(['sign', bundle, '--key', keyFile])).code).toBe(0)
    await appendFile(bundle, Buffer.alloc(512))
    const past = new Date(Date.now() - 60_000)
    await utimes(`${bundle}.sig`, past, past)

    const result = await run(['verify', bundle, '--trust', publicKey])
    expect(result.code).toBe(1)
    expect(result.errors).toContain('error DIGEST_MISMATCH')
    expect(result.errors).toContain(`${bundle} was modified after ${bundle}.sig was written`)
    expect(result.errors).toContain(`sign it again with "coffer-engine sign ${bundle}"`)
    expect(result.errors).toContain('download the bundle and its .sig again')
  })

  it('names both causes when the signature is newer', async () => {
    const bundle = await buildInto('other-sig')
    expect((await run(['sign', bundle, '--key', keyFile])).code).toBe(0)
    await appendFile(bundle, Buffer.alloc(512))
    const future = new Date(Date.now() + 60_000)
    await utimes(`${bundle}.sig`, future, future)

    const result = await run(['verify', bundle, '--trust', publicKey])
    expect(result.errors).toContain(`or ${bundle}.sig belongs to another bundle`)
    expect(result.errors).toContain('sign it again')
  })

  it('removes a signature that build made stale', async () => {
    const bundle = await buildInto('stale')
    expect((await run(['sign', bundle, '--key', keyFile])).code).toBe(0)
    const signature = JSON.parse(await readFile(`${bundle}.sig`, 'utf8'))
    await writeFile(`${bundle}.sig`, JSON.stringify({ ...signature, sha256: '0'.repeat(64) }))

    const rebuilt = await run([
      'build',
      '--package',
      TEST_ENGINE_DIR,
      '--out',
      join(folder.path, 'stale'),
    ])
    expect(rebuilt.code).toBe(0)
    expect(rebuilt.output).toContain(`removed the stale signature ${bundle}.sig`)
    expect(rebuilt.output).toContain(`sign the new bundle with "coffer-engine sign ${bundle}"`)
    await expect(access(`${bundle}.sig`)).rejects.toThrow('ENOENT')
  })

  it('keeps a signature of identical bytes', async () => {
    const bundle = await buildInto('same')
    expect((await run(['sign', bundle, '--key', keyFile])).code).toBe(0)
    const rebuilt = await run([
      'build',
      '--package',
      TEST_ENGINE_DIR,
      '--out',
      join(folder.path, 'same'),
    ])
    expect(rebuilt.output).toContain(`signature: ${bundle}.sig (still valid`)
    await expect(access(`${bundle}.sig`)).resolves.toBeUndefined()
  })
})

describe('sign of a bundle that verify rejects', () => {
  it('rejects an invalid manifest', async () => {
    const bundle = await buildInto('bad-version')
    const files = readTar(await readFile(bundle))
    const manifestFile = files.find((file) => file.name === 'engine.json')!
    const manifest = JSON.parse(manifestFile.data.toString('utf8'))
    manifestFile.data = Buffer.from(JSON.stringify({ ...manifest, version: '1.0' }))
    await writeFile(bundle, packTar(files))

    const result = await run(['sign', bundle, '--key', keyFile])
    expect(result.code).toBe(1)
    expect(result.errors).toContain('error INVALID_MANIFEST: cannot sign the bundle')
    await expect(access(`${bundle}.sig`)).rejects.toThrow('ENOENT')
  })

  it('rejects a changed engine.js', async () => {
    const bundle = await buildInto('changed-code')
    const files = readTar(await readFile(bundle))
    const code = files.find((file) => file.name === 'engine.js')!
    code.data = Buffer.concat([code.data, Buffer.from('\n// changed\n')])
    await writeFile(bundle, packTar(files))

    const result = await run(['sign', bundle, '--key', keyFile])
    expect(result.code).toBe(1)
    expect(result.errors).toContain('error DIGEST_MISMATCH: cannot sign the bundle')
  })
})

describe('build command', () => {
  it('resolves --out against the current folder', async () => {
    const workDir = join(folder.path, 'work')
    await mkdir(workDir)
    const previous = process.cwd()
    process.chdir(workDir)
    try {
      const result = await run(['build', TEST_ENGINE_DIR, '--out', 'out3'])
      expect(result.code, result.errors).toBe(0)
      expect(result.output).toContain(`bundle: ${join(workDir, 'out3', BUNDLE_NAME)}`)
    } finally {
      process.chdir(previous)
    }
  })

  it('fails once for an engine that cannot load', async () => {
    const dir = join(folder.path, 'mismatch')
    await writeEnginePackage(dir, { entry: sampleEntry('acme/simple') })
    const result = await run(['build', dir])
    expect(result.code).toBe(1)
    expect(result.errors.split('\n')).toHaveLength(1)
    expect(result.errors).toContain('coffer-engine build: error MANIFEST_MISMATCH')
  })

  it('prints its version', async () => {
    const result = await run(['--version'])
    expect(result.code).toBe(0)
    expect(result.output).toBe(`coffer-engine ${SDK_VERSION}`)
  })
})
