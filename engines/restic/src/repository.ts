import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { CofferError } from '@coffer/sdk'
import type { EngineContext, ResticRepositoryLocation } from '@coffer/sdk'
import { checkResticBinary, resticPath } from './restic_binary.js'
import type { ResticBinary } from './restic_binary.js'
import { classifyFailure, resticError } from './restic_errors.js'
import { runRestic } from './restic_process.js'
import type { ResticOutput } from './restic_process.js'
import { readEngineOptions } from './options.js'

/** Storage key of the folder that contains the destination's restic repository. */
export const REPOSITORY_KEY = 'repository'

/** Settings of an engine instance that do not come from the destination's options. */
export interface ResticEngineConfig {
  /** Path of the restic executable; `RESTIC_BINARY` or `restic` on PATH when omitted. */
  binary?: string
}

/** Options of `ResticRepository.open`. */
export interface OpenOptions {
  /** Initialise a repository when the destination has no object under `repository/` yet. */
  create: boolean
  /**
   * Remove stale locks while opening, for operations that take a lock. `restic unlock` without
   * `--remove-all` removes only locks of dead processes on this host and locks older than 30
   * minutes (restic 0.14 rules), never live ones. It replaces the `cat config` probe, which saves
   * one restic process and its key derivation per operation.
   */
  removeStaleLocks?: boolean
}

/** Options of one restic command run through `ResticRepository.run`. */
export interface RunOptions {
  cwd?: string
  onLine?: (line: string) => void
  /** Exit codes other than 0 that the caller handles itself. */
  allowExitCodes?: number[]
}

/**
 * One destination's restic repository, opened for the length of one engine call. The password
 * reaches restic through `RESTIC_PASSWORD_FILE`, a 0600 file in a private folder of the call's
 * workDir, and the location's environment goes to the restic child only.
 */
export class ResticRepository {
  readonly binary: ResticBinary
  readonly location: ResticRepositoryLocation
  readonly #context: EngineContext
  readonly #privateDir: string
  readonly #env: Record<string, string>

  private constructor(
    context: EngineContext,
    binary: ResticBinary,
    location: ResticRepositoryLocation,
    privateDir: string
  ) {
    this.#context = context
    this.binary = binary
    this.location = location
    this.#privateDir = privateDir
    this.#env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: privateDir,
      TMPDIR: privateDir,
      RESTIC_PASSWORD_FILE: path.join(privateDir, 'password'),
      RESTIC_CACHE_DIR: path.join(privateDir, 'cache'),
      ...location.environment,
    }
  }

  /**
   * Opens the destination's repository. It initialises one only when `create` is set and the
   * destination has no object under `repository/`, so it never initialises over anything.
   */
  static async open(
    context: EngineContext,
    config: ResticEngineConfig,
    openOptions: OpenOptions
  ): Promise<ResticRepository> {
    const options = readEngineOptions(context.options)
    const binary = await checkResticBinary(resticPath(config.binary))
    context.log('info', `using restic ${binary.version}`, {
      binary: binary.path,
      version: binary.version,
    })

    if (context.storage.resticLocation === undefined) {
      throw new CofferError(
        'UNSUPPORTED',
        `destinations of kind "${context.storage.kind}" cannot host a restic repository. Use a local folder, SFTP or S3 destination`
      )
    }

    const location = await context.storage.resticLocation(REPOSITORY_KEY)
    const privateDir = await fs.mkdtemp(path.join(context.workDir, 'restic-'))
    await fs.chmod(privateDir, 0o700)
    await fs.writeFile(path.join(privateDir, 'password'), options.repositoryPassword, {
      mode: 0o600,
      flag: 'wx',
    })

    const repository = new ResticRepository(context, binary, location, privateDir)
    try {
      await repository.#ensureExists(openOptions)
    } catch (error) {
      await repository.close()
      throw error
    }

    return repository
  }

  /** The repository as restic names it, for messages and logs (never contains a secret). */
  get name(): string {
    return this.location.repository
  }

  /**
   * Runs `restic <command> <args>` against the repository. Rejects with the classified error
   * (`WRONG_PASSWORD`, `REPOSITORY_LOCKED`, `REPOSITORY_MISSING`, `NOT_FOUND`, `STORAGE`,
   * `INTERNAL`) unless the exit code is 0 or in `allowExitCodes`.
   */
  async run(command: string, args: string[], options: RunOptions = {}): Promise<ResticOutput> {
    const output = await this.runUnchecked(command, args, options)
    if (output.exitCode === 0 || options.allowExitCodes?.includes(output.exitCode)) {
      return output
    }

    throw resticError(this.binary, this.name, command, output)
  }

  /** Runs a restic command against the repository and resolves whatever its exit code. */
  runUnchecked(command: string, args: string[], options: RunOptions = {}): Promise<ResticOutput> {
    return runRestic({
      binary: this.binary.path,
      args: [command, ...this.#globalArgs(), ...args],
      env: this.#env,
      cwd: options.cwd,
      signal: this.#context.signal,
      onLine: options.onLine,
    })
  }

  /** Removes the password file and restic's cache. */
  async close(): Promise<void> {
    await fs.rm(this.#privateDir, { recursive: true, force: true })
  }

  #globalArgs(): string[] {
    const args = ['--repo', this.location.repository]
    for (const option of this.location.options) {
      args.push('--option', option)
    }

    return args
  }

  async #ensureExists(openOptions: OpenOptions): Promise<void> {
    // Both commands open the repository first, so both fail the same way when it is missing.
    const probeCommand = openOptions.removeStaleLocks ? 'unlock' : 'cat config'
    const probe = openOptions.removeStaleLocks
      ? await this.runUnchecked('unlock', [])
      : await this.runUnchecked('cat', ['--no-lock', 'config'])
    if (probe.exitCode === 0) {
      return
    }

    const failure = classifyFailure(this.binary, probe)
    if (failure !== 'missing') {
      throw resticError(this.binary, this.name, probeCommand, probe)
    }

    const objects = await this.#context.storage.list(`${REPOSITORY_KEY}/`, {
      signal: this.#context.signal,
    })
    if (objects.length > 0) {
      throw new CofferError(
        'REPOSITORY_MISSING',
        `the destination's folder "${REPOSITORY_KEY}" (${this.name}) holds ${objects.length} objects but no restic repository. Coffer does not initialise over existing data: empty that folder or choose another destination`,
        { details: { repository: this.name, objects: objects.length } }
      )
    }

    if (!openOptions.create) {
      throw resticError(this.binary, this.name, probeCommand, probe)
    }

    await this.#initialise()
  }

  async #initialise(): Promise<void> {
    this.#context.log('info', 'initialising a new restic repository', { repository: this.name })
    const output = await this.runUnchecked('init', [])
    if (output.exitCode === 0) {
      return
    }

    // Another process may have initialised it meanwhile: restic refuses to overwrite a config,
    // so check again what is there now.
    const probe = await this.runUnchecked('cat', ['--no-lock', 'config'])
    if (probe.exitCode === 0) {
      return
    }

    throw resticError(this.binary, this.name, 'init', output)
  }
}

/** Returns a random name for a temporary entry, such as a restore's staging folder. */
export function randomName(prefix: string): string {
  return `${prefix}${randomBytes(6).toString('hex')}`
}
