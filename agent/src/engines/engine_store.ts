import { randomBytes } from 'node:crypto'
import { readFile, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  BundleVerificationError,
  bundleSha256,
  compareSemanticVersions,
  isCofferError,
  MANIFEST_FILE_NAME,
  parseManifest,
  parseSignature,
  unpackBundle,
  verifyBundle,
  type EngineManifest,
  type PublicKeyInfo,
} from '@coffer/sdk'
import type { JobEngine, RejectedEngine } from '../controller/api_types.js'
import type { ControllerClient } from '../controller/client.js'
import type { AgentLogger } from '../logger.js'
import type { AcceptedEngines } from '../state/accepted_engines.js'
import { removeReadOnlyTree } from '../state/stale_folders.js'

/** A verified engine bundle unpacked read-only on disk. */
export interface PreparedEngine {
  dir: string
  manifest: EngineManifest
}

/** Dependencies of the engine store. */
export interface EngineStoreOptions {
  /** Folder with one read-only subfolder per bundle digest. */
  root: string
  client: ControllerClient
  trustedKeys: PublicKeyInfo[]
  accepted: AcceptedEngines
  agentVersion: string
  logger: AgentLogger
}

const DIGEST_PATTERN = /^[0-9a-f]{64}$/

/**
 * Downloads, verifies and unpacks engine bundles. A bundle is used only when all of these hold:
 * - its sha256 equals the digest the job names, and its signature verifies with a trusted key;
 * - its manifest matches the signed id and version, and the job's engine;
 * - its version is not lower than the highest version accepted before for the same engine id.
 * Rejected bundles are kept for the next heartbeat.
 */
export class EngineStore {
  readonly #options: EngineStoreOptions
  readonly #inFlight = new Map<string, Promise<PreparedEngine>>()
  #rejected: RejectedEngine[] = []

  constructor(options: EngineStoreOptions) {
    this.#options = options
  }

  /** Returns the verified engine of a job, downloading it when the host does not have it yet. */
  prepare(engine: JobEngine): Promise<PreparedEngine> {
    const pending = this.#inFlight.get(engine.digest)
    if (pending) {
      return pending
    }

    const task = this.#prepare(engine).finally(() => this.#inFlight.delete(engine.digest))
    this.#inFlight.set(engine.digest, task)
    return task
  }

  /** Returns and clears the rejections not yet reported. */
  takeRejected(): RejectedEngine[] {
    const rejected = this.#rejected
    this.#rejected = []
    return rejected
  }

  /** Puts back rejections whose heartbeat failed, so the next heartbeat reports them. */
  restoreRejected(rejected: RejectedEngine[]): void {
    this.#rejected = [...rejected, ...this.#rejected]
  }

  async #prepare(engine: JobEngine): Promise<PreparedEngine> {
    try {
      return await this.#load(engine)
    } catch (error) {
      if (isCofferError(error)) {
        this.#reject(engine, error.code, error.message)
      }

      throw error
    }
  }

  async #load(engine: JobEngine): Promise<PreparedEngine> {
    if (!DIGEST_PATTERN.test(engine.digest)) {
      throw new BundleVerificationError(
        'INVALID_ARGUMENT',
        `engine digest "${engine.digest}" is not a sha256 hex digest`
      )
    }

    const dir = join(this.#options.root, engine.digest)
    const cached = await this.#readCached(dir)
    if (cached) {
      this.#checkJobEngine(engine, cached)
      this.#checkNotDowngrade(cached)
      return { dir, manifest: cached }
    }

    const { client, trustedKeys, accepted, agentVersion, logger } = this.#options
    const bundle = await client.downloadBundle(engine.digest)
    const actual = bundleSha256(bundle)
    if (actual !== engine.digest) {
      throw new BundleVerificationError(
        'DIGEST_MISMATCH',
        `downloaded bundle of ${engine.id} ${engine.version} has sha256 ${actual}, not the requested ${engine.digest}; the bundle was altered in transit or on the controller`
      )
    }

    if (trustedKeys.length === 0) {
      throw new BundleVerificationError(
        'UNKNOWN_KEY',
        'no engine publisher key is trusted on this host; set COFFER_TRUSTED_KEYS or COFFER_TRUSTED_KEYS_FILE, or use a release build of the agent'
      )
    }

    const signature = parseSignature(await client.downloadSignature(engine.digest))
    const verified = verifyBundle(bundle, signature, trustedKeys, {
      expectedId: engine.id,
      minimumVersion: accepted.highest(engine.id),
      agentVersion,
    })
    this.#checkJobEngine(engine, verified.manifest)

    // Unpack under a temporary name and rename, so a crash never leaves a half-written folder
    // under the digest's name.
    const temporary = join(
      this.#options.root,
      `.unpack-${engine.digest}-${randomBytes(4).toString('hex')}`
    )
    try {
      await unpackBundle(bundle, temporary)
      await rename(temporary, dir)
    } catch (error) {
      await removeReadOnlyTree(temporary)
      throw error
    }

    await accepted.record(engine.id, verified.manifest.version, engine.digest)
    logger.info(
      {
        engine: engine.id,
        version: verified.manifest.version,
        digest: engine.digest,
        keyId: verified.keyId,
      },
      'verified and unpacked an engine bundle'
    )
    return { dir, manifest: verified.manifest }
  }

  async #readCached(dir: string): Promise<EngineManifest | undefined> {
    try {
      await stat(dir)
    } catch {
      return undefined
    }

    return parseManifest(await readFile(join(dir, MANIFEST_FILE_NAME), 'utf8'))
  }

  #checkJobEngine(engine: JobEngine, manifest: EngineManifest): void {
    if (manifest.id !== engine.id || manifest.version !== engine.version) {
      throw new BundleVerificationError(
        'MANIFEST_MISMATCH',
        `bundle ${engine.digest} contains ${manifest.id} ${manifest.version}, but the job asks for ${engine.id} ${engine.version}`
      )
    }
  }

  #checkNotDowngrade(manifest: EngineManifest): void {
    const highest = this.#options.accepted.highest(manifest.id)
    if (highest !== undefined && compareSemanticVersions(manifest.version, highest) < 0) {
      throw new BundleVerificationError(
        'VERSION_DOWNGRADE',
        `engine ${manifest.id} ${manifest.version} is lower than the accepted ${highest}; use ${highest} or later`
      )
    }
  }

  #reject(engine: JobEngine, code: string, reason: string): void {
    this.#options.logger.warn(
      { engine: engine.id, version: engine.version, digest: engine.digest, code },
      `rejected an engine bundle: ${reason}`
    )
    if (!this.#rejected.some((entry) => entry.digest === engine.digest && entry.code === code)) {
      this.#rejected.push({ digest: engine.digest, reason, code })
    }
  }
}
