import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { BackupSourceKind, Engine } from '../../src/contract.js'
import type { HostileArtifactsHook } from '../../src/conformance/index.js'
import { referenceEngine } from './reference_engine.js'

/**
 * Creates an engine that pretends to reject hostile entries: `hostileHook` stores a harmless snapshot
 * for each hostile case and remembers the entries the kit expects in `rejected`, and `restore`
 * reports exactly those. With `escapeInReplace`, a replace restore also writes a file beside the
 * target, so only the replace-mode hostile checks can catch it.
 */
export function pretendSafeEngine(options: { escapeInReplace: boolean; emptyFolder: string }) {
  const reference = referenceEngine()
  const expected = new Map<string, string[]>()

  const hostileHook: HostileArtifactsHook = async (hostileCase, context, engine) => {
    const result = await engine.backup(context, {
      snapshotId: hostileCase.snapshotId,
      source: { kind: 'path', path: options.emptyFolder },
      tags: {},
    })
    expected.set(hostileCase.snapshotId, hostileCase.expectRejected)
    return result.snapshot
  }

  const engine: Engine = {
    ...reference,
    async restore(context, request) {
      const result = await reference.restore(context, request)
      const rejected = expected.get(request.snapshot.id)
      if (rejected === undefined) {
        return result
      }

      if (options.escapeInReplace && request.mode === 'replace') {
        await fs.writeFile(path.join(request.target, '..', 'outside', 'escaped.txt'), 'escaped\n')
      }

      const entries = rejected.map((entry) => ({ path: entry, reason: 'climbs out of the target' }))
      return { ...result, rejected: entries }
    },
  }

  return { engine, hostileHook }
}

/**
 * Creates an engine whose snapshots list only the index as an artifact, with the archive stored beside
 * it, and whose verify reads only the listed artifacts: its `data` level never reads the archive.
 */
export function unlistedArchiveEngine(): Engine {
  const reference = referenceEngine()
  return {
    ...reference,
    async backup(context, request) {
      const result = await reference.backup(context, request)
      const artifacts = result.snapshot.artifacts.filter((artifact) => artifact.role === 'index')
      return { ...result, snapshot: { ...result.snapshot, artifacts } }
    },
  }
}

/**
 * Creates the reference engine with `tar-stream` sources. It extracts the stream into its scratch folder
 * and backs that folder up. `sourceKinds` records the kind of every backup. With `dropOwners`,
 * tar extracts without owners, so every file restores as root's.
 */
export function tarStreamEngine(options: { dropOwners: boolean }) {
  const reference = referenceEngine()
  const sourceKinds: BackupSourceKind[] = []

  const engine: Engine = {
    ...reference,
    async backup(context, request) {
      sourceKinds.push(request.source.kind)
      if (request.source.kind === 'path') {
        return reference.backup(context, request)
      }

      const staging = path.join(context.workDir, 'staging')
      await fs.mkdir(staging)
      const owners = options.dropOwners ? '--no-same-owner' : '--same-owner'
      const tar = spawn('tar', ['-x', '--numeric-owner', owners, '-p', '-C', staging, '-f', '-'], {
        stdio: ['pipe', 'ignore', 'inherit'],
      })
      const exited = new Promise<number | null>((resolve) => tar.on('close', resolve))
      await pipeline(request.source.stream, tar.stdin)
      const code = await exited
      if (code !== 0) {
        throw new Error(`tar -x of the source stream exited with ${code}`)
      }

      return reference.backup(context, { ...request, source: { kind: 'path', path: staging } })
    },
  }

  return { engine, sourceKinds }
}
