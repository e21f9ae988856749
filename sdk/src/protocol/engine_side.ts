import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import type {
  Engine,
  EngineContext,
  EngineDescription,
  EngineSelfDescription,
} from '../contract.js'
import { CofferError, isCofferError, ProtocolError, serializeError } from '../errors.js'
import { sha256OfFile } from '../bundle/digest.js'
import { MANIFEST_FILE_NAME, type EngineManifest } from '../manifest/types.js'
import { parseManifest } from '../manifest/validate.js'
import { compareSemanticVersions } from '../semver.js'
import { Connection, type FrameOutput } from './connection.js'
import {
  CALL_METHODS,
  PROTOCOL_VERSION,
  type CallMessage,
  type HelloMessage,
  type ProtocolMessage,
} from './messages.js'
import { assertEngineExport, engineExportFacts } from './engine_export.js'
import { negotiateApiVersion } from './negotiate.js'
import { StorageProxy } from './storage_proxy.js'

/** Options of `serveEngine`. */
export interface ServeEngineOptions {
  /** Folder of the unpacked bundle, with engine.json. */
  bundleDir: string
  input: Readable
  output: FrameOutput
  /** Called when the engine should exit: the host closed the channel, or the handshake failed. */
  onExit(code: number): void
}

/**
 * Runs the engine side of the protocol: loads engine.json, replies to the handshake, imports the
 * engine module, and serves calls until the host closes stdin.
 */
export function serveEngine(options: ServeEngineOptions): void {
  const calls = new Map<number, AbortController>()
  let manifest: EngineManifest | undefined
  let engine: Engine | undefined
  let storageKind = 'unknown'

  const connection: Connection = new Connection({
    input: options.input,
    output: options.output,
    streamIdParity: 0,
    onMessage: (message) => void onMessage(message),
    onClose: () => {
      storage.failAll(new ProtocolError('PROTOCOL', 'the host closed the channel'))
      for (const controller of calls.values()) {
        controller.abort(new CofferError('CANCELLED', 'the host closed the channel'))
      }

      options.onExit(0)
    },
  })
  const storage = new StorageProxy(connection)

  async function onMessage(message: ProtocolMessage): Promise<void> {
    switch (message.type) {
      case 'hello':
        await onHello(message)
        return
      case 'call':
        await onCall(message)
        return
      case 'cancel':
        calls
          .get(message.call)
          ?.abort(new CofferError('CANCELLED', `call ${message.call} was cancelled by the host`))
        return
      case 'storage-reply':
        storage.onReply(message)
        return
      default:
        connection.send({
          type: 'log',
          level: 'warn',
          message: `engine ignored an unexpected ${message.type} message`,
        })
    }
  }

  async function onHello(hello: HelloMessage): Promise<void> {
    try {
      if (hello.protocol !== PROTOCOL_VERSION) {
        throw new ProtocolError(
          'PROTOCOL',
          `host speaks protocol ${hello.protocol}, this SDK speaks ${PROTOCOL_VERSION}`
        )
      }

      manifest = await loadManifest(options.bundleDir)
      const apiVersion = negotiateApiVersion(manifest.id, manifest.apiVersions, hello.apiVersions)
      checkAgentVersion(manifest, hello.agentVersion)
      engine = await loadEngine(options.bundleDir, manifest)
      storageKind = hello.storageKind

      const { id, version, apiVersions } = manifest
      connection.send({ type: 'hello-ok', apiVersion, engine: { id, version, apiVersions } })
    } catch (error) {
      connection.send({ type: 'hello-reject', error: serializeError(error) })
      options.onExit(2)
    }
  }

  async function onCall(message: CallMessage): Promise<void> {
    const controller = new AbortController()
    calls.set(message.call, controller)

    try {
      if (!engine) {
        throw new ProtocolError(
          'PROTOCOL',
          `call ${message.method} arrived before a successful handshake`
        )
      }

      const value = await invoke(engine, message, contextFor(message, controller.signal))
      connection.send({ type: 'result', call: message.call, value: value ?? null })
    } catch (error) {
      // An engine that stops on abort often throws a plain AbortError; report it as CANCELLED.
      const failure =
        controller.signal.aborted && !isCofferError(error) ? controller.signal.reason : error
      connection.send({ type: 'failure', call: message.call, error: serializeError(failure) })
    } finally {
      calls.delete(message.call)
    }
  }

  function contextFor(message: CallMessage, signal: AbortSignal): EngineContext {
    return {
      storage: storage.forCall(message.call, storageKind),
      options: message.options,
      workDir: message.workDir,
      signal,
      log: (level, text, fields) =>
        connection.send({ type: 'log', call: message.call, level, message: text, fields }),
      progress: (progress) => connection.send({ type: 'progress', call: message.call, progress }),
    }
  }

  async function invoke(
    target: Engine,
    message: CallMessage,
    context: EngineContext
  ): Promise<unknown> {
    if (!CALL_METHODS.includes(message.method)) {
      throw new ProtocolError('PROTOCOL', `unknown method ${JSON.stringify(message.method)}`)
    }

    if (message.method === 'describe') {
      const own = target.describe ? await target.describe(context) : {}
      return describeEngine(manifest!, own)
    }

    if (message.method === 'validateOptions') {
      return target.validateOptions ? await target.validateOptions(message.options) : {}
    }

    const request = message.request as Record<string, unknown> | undefined
    if (message.method === 'backup') {
      const source = request?.source as { kind: string; stream?: number } | undefined
      if (source?.kind === 'tar-stream') {
        request!.source = { kind: 'tar-stream', stream: connection.receiveStream(source.stream!) }
      }
    }

    if (message.method === 'listSnapshots') {
      return target.listSnapshots(context)
    }

    const operation = target[message.method] as (
      context: EngineContext,
      request: unknown
    ) => Promise<unknown>
    return operation.call(target, context, request)
  }
}

// Checks engine.json and every file digest it lists, so a change to the unpacked folder after
// verification stops the engine from loading.
async function loadManifest(bundleDir: string): Promise<EngineManifest> {
  const manifest = parseManifest(await readFile(join(bundleDir, MANIFEST_FILE_NAME), 'utf8'))
  for (const [name, expected] of Object.entries(manifest.files)) {
    const actual = await sha256OfFile(join(bundleDir, name))
    if (actual !== expected) {
      throw new CofferError(
        'DIGEST_MISMATCH',
        `bundle file "${name}" in ${bundleDir} has sha256 ${actual}, but engine.json lists ${expected}; unpack the bundle again`,
        {
          details: { file: name, expected, actual },
        }
      )
    }
  }

  return manifest
}

function checkAgentVersion(manifest: EngineManifest, agentVersion: string): void {
  if (compareSemanticVersions(agentVersion, manifest.minAgentVersion) >= 0) {
    return
  }

  throw new ProtocolError(
    'AGENT_TOO_OLD',
    `engine ${manifest.id} ${manifest.version} requires agent ${manifest.minAgentVersion} or later, but this agent is ${agentVersion}; upgrade the agent`,
    { details: { agentVersion, minAgentVersion: manifest.minAgentVersion } }
  )
}

// Checks every required operation here, so a missing one fails the handshake with its name
// instead of the first call to it failing with a TypeError.
async function loadEngine(bundleDir: string, manifest: EngineManifest): Promise<Engine> {
  const module = (await import(pathToFileURL(join(bundleDir, manifest.entry)).href)) as {
    default?: Engine
  }
  assertEngineExport(engineExportFacts(module), manifest.id, {
    moduleName: manifest.entry,
    manifestName: MANIFEST_FILE_NAME,
  })
  return module.default as Engine
}

// Identity and capabilities come from the verified manifest, so an engine cannot report others.
function describeEngine(manifest: EngineManifest, own: EngineSelfDescription): EngineDescription {
  const tools: Record<string, string> = {}
  for (const [name, version] of Object.entries(own.tools ?? {})) {
    if (typeof version !== 'string') {
      throw new CofferError(
        'INTERNAL',
        `describe returned an invalid version for tool "${name}": expected a string such as "1.2.3"`
      )
    }
    tools[name] = version
  }

  return {
    id: manifest.id,
    version: manifest.version,
    capabilities: manifest.capabilities,
    tools,
  }
}
