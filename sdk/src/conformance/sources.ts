import { spawn } from 'node:child_process'
import { PassThrough } from 'node:stream'
import type { BackupSource, BackupSourceKind, EngineCapabilities } from '../contract.js'
import type { TreeDigest, TreeEntry } from './tree_digest.js'

/** A backup source for one folder, and the tar process behind it when there is one. */
export interface OpenedSource {
  source: BackupSource
  /** Stops the tar process if it still runs and waits until it has exited. */
  close(): Promise<void>
}

/**
 * Returns the source kind of the kit's backups: `path` when the engine accepts it, else `tar-stream`.
 * Engines that accept both also get a `tar-stream` backup per volume (see `checkTarStream`).
 */
export function primarySourceKind(capabilities: EngineCapabilities): BackupSourceKind {
  return capabilities.sources.includes('path') ? 'path' : 'tar-stream'
}

/**
 * Opens `folder` as a backup source of `kind`. A tar stream is made the way the agent makes one
 * for an engine that accepts only tar streams: `tar --numeric-owner -C <folder> -cf - .` with GNU
 * tar's default (gnu) format. The stream ends when tar exits with 0 or with 1, which GNU tar uses
 * for a file that changed while it was read, and fails on any other exit.
 */
export function openSource(kind: BackupSourceKind, folder: string): OpenedSource {
  if (kind === 'path') {
    return { source: { kind: 'path', path: folder }, close: async () => {} }
  }

  const child = spawn('tar', ['--numeric-owner', '-C', folder, '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  })
  const stream = new PassThrough()
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000)
  })
  child.stdout.pipe(stream, { end: false })

  const exited = new Promise<void>((resolve) => {
    child.on('error', (error) => {
      const hint = (error as NodeJS.ErrnoException).code === 'ENOENT' ? ' (install GNU tar)' : ''
      stream.destroy(new Error(`could not start tar${hint}: ${error.message}`))
      resolve()
    })
    child.on('close', (code, signal) => {
      if (code === 0 || code === 1) {
        stream.end()
      } else {
        const exitStatus = signal ?? `code ${code}`
        stream.destroy(new Error(`tar of ${folder} exited with ${exitStatus}: ${stderr.trim()}`))
      }

      resolve()
    })
  })

  return {
    source: { kind: 'tar-stream', stream },
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill()
      }

      await exited
    },
  }
}

/**
 * Returns the part of `digest` that a backup from `kind` can restore. GNU tar's default format,
 * without `--xattrs`, carries whole-second mtimes and no extended attributes, so a tar-stream
 * backup is expected to restore those fields as tar extracts them.
 */
export function carriedBy(kind: BackupSourceKind, digest: TreeDigest): TreeDigest {
  if (kind === 'path') {
    return digest
  }

  const entries = new Map<string, TreeEntry>()
  for (const [key, entry] of digest.entries) {
    entries.set(key, { ...entry, mtimeNs: wholeSeconds(entry.mtimeNs), xattrs: {} })
  }

  return { root: digest.root, entries }
}

function wholeSeconds(ns: bigint): bigint {
  const second = 1_000_000_000n
  const remainder = ns % second
  // tar stores stat's tv_sec, the floor of the time, but BigInt `%` keeps the sign of `ns`.
  return remainder < 0n ? ns - remainder - second : ns - remainder
}
