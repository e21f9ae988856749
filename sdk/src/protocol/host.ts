import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve as resolvePath } from 'node:path'
import { fileURLToPath } from 'node:url'
import type {
  BackupRequest,
  BackupResult,
  EngineDescription,
  FileEntry,
  ForgetRequest,
  ListFilesRequest,
  RestoreRequest,
  RestoreResult,
  StoredSnapshot,
  VerifyRequest,
  VerifyResult,
} from '../contract.js'
import { ENGINE_API_VERSION } from '../contract.js'
import { CofferError, deserializeError, isCofferError, ProtocolError } from '../errors.js'
import { MANIFEST_FILE_NAME, type EngineManifest } from '../manifest/types.js'
import { parseManifest } from '../manifest/validate.js'
import { SDK_VERSION } from '../version.js'
import { engineChildEnvironment } from './child_process_env.js'
import { Connection } from './connection.js'
import type { EngineCallOptions, EngineProcess, StartEngineProcessOptions } from './host_types.js'
import { forEachLine } from './log_lines.js'
import {
  PROTOCOL_VERSION,
  type CallMethod,
  type HelloOkMessage,
  type ProtocolMessage,
} from './messages.js'
import { PendingCalls } from './pending_calls.js'
import { StorageServer } from './host_storage.js'

export type {
  EngineCallOptions,
  EngineLogEntry,
  EngineProcess,
  StartEngineProcessOptions,
} from './host_types.js'

const CLOSE_TIMEOUT_MS = 5_000

// Time allowed, after the child exited, for its stdout and stderr to reach their end.
const EXIT_DRAIN_MS = 1_000

/** Path of the runner program shipped next to this module in `dist/`. */
export function defaultRunnerPath(): string {
  return fileURLToPath(new URL('./engine_runner.js', import.meta.url))
}

/**
 * Starts an engine in a child process (`node <runner> <bundle dir>`) with a minimal environment,
 * and completes the handshake. Rejects with the engine's typed error (`API_TOO_OLD`,
 * `API_TOO_NEW`, `AGENT_TOO_OLD`, `INVALID_MANIFEST`, ...) or `ENGINE_CRASHED` with its stderr.
 */
export async function startEngineProcess(
  options: StartEngineProcessOptions
): Promise<EngineProcess> {
  // Absolute, because the engine runs with the bundle folder as its working folder.
  const bundleDir = resolvePath(options.bundleDir)
  const manifest = parseManifest(await readFile(join(bundleDir, MANIFEST_FILE_NAME), 'utf8'))
  const child = spawn(
    options.nodePath ?? process.execPath,
    [options.runnerPath ?? defaultRunnerPath(), bundleDir],
    {
      cwd: bundleDir,
      env: engineChildEnvironment(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    }
  )

  const host = new EngineHost(child, manifest, options)
  try {
    await host.handshake(options)
  } catch (error) {
    await host.close()
    throw error
  }

  return host
}

class EngineHost implements EngineProcess {
  readonly manifest: EngineManifest
  apiVersion = 0
  #child: ChildProcessWithoutNullStreams
  #options: StartEngineProcessOptions
  #connection: Connection
  #storage: StorageServer
  #calls: PendingCalls
  #stderrTail: string[] = []
  /** The reason the host stopped reading stdout, set when the engine wrote non-frame bytes. */
  #channelError?: ProtocolError
  #exit: Promise<void>
  #exited = false
  #handshake?: { resolve(message: HelloOkMessage): void; reject(error: Error): void }

  constructor(
    child: ChildProcessWithoutNullStreams,
    manifest: EngineManifest,
    options: StartEngineProcessOptions
  ) {
    this.#child = child
    this.manifest = manifest
    this.#options = options
    this.#connection = new Connection({
      input: child.stdout,
      output: child.stdin,
      streamIdParity: 1,
      onMessage: (message) => this.#onMessage(message),
      onClose: (error) => this.#onChannelClosed(error),
    })
    this.#storage = new StorageServer(this.#connection, options.storage)
    this.#calls = new PendingCalls(
      this.#connection,
      manifest,
      options.cancelGraceMs ?? 10_000,
      () => this.#kill()
    )

    forEachLine(child.stderr, (line) => this.#onStderr(line))
    child.stdin.on('error', () => {})
    this.#exit = new Promise((resolve) => {
      const describe = (code: number | null, signal: NodeJS.Signals | null) =>
        signal ? `was killed by ${signal}` : `exited with code ${code}`

      child.on('error', (error) => this.#onExit(`could not start: ${error.message}`, resolve))
      // 'close' comes after the last frame on stdout was read, so a final `hello-reject` or
      // `failure` is handled before the exit. A grandchild that keeps the pipes open would delay
      // 'close' indefinitely, so 'exit' finishes the job after a short wait.
      child.on('close', (code, signal) => this.#onExit(describe(code, signal), resolve))
      child.on('exit', (code, signal) => {
        setTimeout(() => this.#onExit(describe(code, signal), resolve), EXIT_DRAIN_MS).unref()
      })
    })
  }

  get pid(): number {
    return this.#child.pid ?? -1
  }

  async handshake(options: StartEngineProcessOptions): Promise<void> {
    const apiVersions = options.apiVersions ?? [ENGINE_API_VERSION]
    const reply = new Promise<HelloOkMessage>(
      (resolve, reject) => (this.#handshake = { resolve, reject })
    )
    const timeoutMs = options.handshakeTimeoutMs ?? 30_000
    const timer = setTimeout(
      () =>
        this.#handshake?.reject(
          new CofferError(
            'TIMEOUT',
            `engine ${this.manifest.id} did not answer the handshake within ${timeoutMs} ms`
          )
        ),
      timeoutMs
    )

    this.#connection.send({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      apiVersions,
      agentVersion: options.agentVersion ?? SDK_VERSION,
      storageKind: options.storage.kind,
    })

    try {
      const hello = await reply
      if (
        !apiVersions.includes(hello.apiVersion) ||
        hello.engine.id !== this.manifest.id ||
        hello.engine.version !== this.manifest.version
      ) {
        throw new ProtocolError(
          'PROTOCOL',
          `engine answered the handshake as ${hello.engine.id} ${hello.engine.version} with API ${hello.apiVersion}, which does not match ${this.manifest.id} ${this.manifest.version} and API ${apiVersions.join(', ')}`
        )
      }

      this.apiVersion = hello.apiVersion
    } finally {
      clearTimeout(timer)
      this.#handshake = undefined
    }
  }

  /** Returns the engine's identity from its manifest and the versions of the tools it runs. */
  describe(call: EngineCallOptions) {
    return this.#call<EngineDescription>('describe', call, undefined)
  }

  validateOptions(call: EngineCallOptions) {
    return this.#call<Record<string, string>>('validateOptions', call, undefined)
  }

  backup(call: EngineCallOptions, request: BackupRequest) {
    return this.#call<BackupResult>('backup', call, request)
  }

  listSnapshots(call: EngineCallOptions) {
    return this.#call<StoredSnapshot[]>('listSnapshots', call, undefined)
  }

  listFiles(call: EngineCallOptions, request: ListFilesRequest) {
    return this.#call<FileEntry[]>('listFiles', call, request)
  }

  restore(call: EngineCallOptions, request: RestoreRequest) {
    return this.#call<RestoreResult>('restore', call, request)
  }

  async forget(call: EngineCallOptions, request: ForgetRequest) {
    await this.#call<void>('forget', call, request)
  }

  verify(call: EngineCallOptions, request: VerifyRequest) {
    return this.#call<VerifyResult>('verify', call, request)
  }

  async close(): Promise<void> {
    if (!this.#exited) {
      this.#child.stdin.end()
      const timer = setTimeout(() => this.#kill(), CLOSE_TIMEOUT_MS)
      await this.#exit
      clearTimeout(timer)
    }
  }

  async #call<T>(method: CallMethod, call: EngineCallOptions, request: unknown): Promise<T> {
    if (this.#exited) {
      throw new ProtocolError(
        'ENGINE_CRASHED',
        `engine ${this.manifest.id} is no longer running; start a new engine process`
      )
    }

    const ownWorkDir = call.workDir === undefined
    const workDir = call.workDir ?? (await mkdtemp(join(tmpdir(), 'coffer-engine-')))
    try {
      return (await this.#calls.start(method, call, request, workDir)) as T
    } finally {
      if (ownWorkDir) {
        await rm(workDir, { recursive: true, force: true })
      }
    }
  }

  #onMessage(message: ProtocolMessage): void {
    switch (message.type) {
      case 'hello-ok':
        this.#handshake?.resolve(message)
        return
      case 'hello-reject':
        this.#handshake?.reject(deserializeError(message.error))
        return
      case 'result':
      case 'failure':
        this.#calls.settle(message)
        return
      case 'log':
        this.#options.onLog?.({
          level: message.level,
          message: this.#calls.redact(message.message),
          fields:
            message.fields === undefined ? undefined : this.#calls.redactFields(message.fields),
          method: this.#calls.methodOf(message.call),
          source: 'engine',
        })
        return
      case 'progress':
        this.#options.onProgress?.(message.progress, this.#calls.methodOf(message.call) ?? 'backup')
        return
      case 'storage':
        void this.#storage.handle(message)
        return
      case 'storage-abort':
        this.#storage.abort(message.request)
        return
      default:
        this.#options.onLog?.({
          level: 'warn',
          message: `host ignored an unexpected ${message.type} message from the engine`,
          source: 'engine',
        })
    }
  }

  #onStderr(line: string): void {
    const text = this.#calls.redact(line)
    this.#stderrTail.push(text)
    if (this.#stderrTail.length > 20) {
      this.#stderrTail.shift()
    }

    this.#options.onLog?.({ level: 'warn', message: text, source: 'stderr' })
  }

  /**
   * Handles the end of the engine's stdout. The decoder closes the channel with a `PROTOCOL`
   * error when stdout carries bytes that are not a frame, most often the output of a child
   * process that inherited stdout. No frame after them can be trusted, so the engine is killed
   * and every call fails with that reason instead of the engine's own later crash.
   */
  #onChannelClosed(error?: Error): void {
    if (error === undefined || this.#exited || !isCofferError(error, 'PROTOCOL')) {
      return
    }

    const text = leadingText(error.message)
    const beginning = text === undefined ? '' : ` beginning with ${JSON.stringify(text)}`
    this.#channelError = new ProtocolError(
      'PROTOCOL',
      `engine ${this.manifest.id} wrote non-protocol bytes${beginning} to stdout, so the host closed the channel (${error.message}); child processes must not inherit stdout: start them with stdout 'pipe' or 'ignore', or send their output to stderr`,
      { cause: error }
    )
    this.#kill()
  }

  #onExit(how: string, resolve: () => void): void {
    if (this.#exited) {
      return
    }

    this.#exited = true
    const tail =
      this.#stderrTail.length > 0 ? `; last stderr lines: ${this.#stderrTail.join(' | ')}` : ''
    const error =
      this.#channelError ??
      new ProtocolError('ENGINE_CRASHED', `engine ${this.manifest.id} ${how}${tail}`, {
        details: { stderr: [...this.#stderrTail] },
      })

    this.#connection.failStreams(error)
    this.#storage.abortAll()
    this.#calls.failAll(error)
    this.#handshake?.reject(error)
    resolve()
  }

  #kill(): void {
    if (!this.#exited) {
      this.#child.kill('SIGKILL')
    }
  }
}

/**
 * Returns the 4 bytes that the decoder read as a frame length, as text, when they are printable
 * ASCII or whitespace: `invalid frame length 1751714304` came from the bytes `hi\n\0`.
 */
function leadingText(decoderMessage: string): string | undefined {
  const match = /invalid frame length (\d+)/.exec(decoderMessage)
  if (!match) {
    return undefined
  }

  const bytes = Buffer.alloc(4)
  bytes.writeUInt32BE(Number(match[1]) >>> 0)
  const text = bytes.toString('latin1').replace(/\0+$/, '')
  return /^[\x20-\x7e\t\n\r]+$/.test(text) ? text : undefined
}
