import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { pipeline } from 'node:stream/promises'
import type {
  Artifact,
  Engine,
  EngineContext,
  EngineWarning,
  FileEntry,
  FileType,
} from '../../src/contract.js'
import { treeDigest } from '../../src/conformance/tree_digest.js'

/** Ways to break the reference engine, to prove the kit notices. */
export interface ReferenceFaults {
  /** Leaves out extended attributes. */
  dropXattrs?: boolean
  /** Archives what symbolic links point to instead of the links. */
  followSymlinks?: boolean
}

interface IndexEntry {
  path: string
  type: FileType
  mode: number
  uid: number
  gid: number
  mtimeMs: number
  size: number
  linkTarget?: string
}

interface SnapshotMeta {
  id: string
  time: string
  tags: Record<string, string>
}

/**
 * A test engine built on GNU tar (pax format): one archive, an index and a meta file per
 * snapshot. It proves the kit on a known-good engine and, with `faults`, on broken ones.
 */
export function referenceEngine(faults: ReferenceFaults = {}): Engine {
  return {
    id: 'test/reference',

    validateOptions: () => ({}),

    async backup(context, request) {
      if (request.source.kind !== 'path') {
        throw new Error('the reference engine reads folders only')
      }

      const source = request.source.path
      const prefix = `snapshots/${request.snapshotId}`
      const args = ['--create', '--format=posix', '--sparse', '--numeric-owner', '-C', source, '.']
      if (!faults.dropXattrs) {
        args.unshift('--xattrs', '--xattrs-include=*')
      }

      if (faults.followSymlinks) {
        args.unshift('--dereference')
      }

      const tar = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { LC_ALL: 'C' } })
      const stderr = collect(tar.stderr)
      const exited = exitOf(tar)
      const archive = await putCounted(context, `${prefix}/archive.tar`, tar.stdout, 'archive')
      const code = await exited
      const messages = (await stderr).split('\n').filter((line) => line !== '')
      if (code !== 0 && code !== 1) {
        throw new Error(`tar exited with ${code}: ${messages.join('; ')}`)
      }

      const warnings: EngineWarning[] = messages.map((message) => ({
        code: 'TAR_WARNING',
        message,
      }))
      const digest = await treeDigest(source)
      const entries: IndexEntry[] = []
      for (const entry of digest.entries.values()) {
        entries.push({
          path: entry.path.toString('utf8'),
          type: entry.type,
          mode: entry.mode,
          uid: entry.uid,
          gid: entry.gid,
          mtimeMs: Number(entry.mtimeNs / 1_000_000n),
          size: entry.size,
          linkTarget: entry.linkTarget?.toString('utf8'),
        })
      }

      const index = await putCounted(
        context,
        `${prefix}/index.json`,
        Readable.from([JSON.stringify(entries)]),
        'index'
      )
      const meta: SnapshotMeta = {
        id: request.snapshotId,
        time: new Date().toISOString(),
        tags: request.tags,
      }
      await context.storage.put(`${prefix}/meta.json`, Readable.from([JSON.stringify(meta)]))

      return {
        snapshot: { id: request.snapshotId, artifacts: [archive, index] },
        stats: { files: entries.length, directories: 0, bytesRead: 0, bytesStored: archive.size },
        warnings,
      }
    },

    async listSnapshots(context) {
      const objects = await context.storage.list('snapshots/')
      const metas = objects.filter((object) => object.key.endsWith('/meta.json'))
      const result = []
      for (const object of metas) {
        const meta = JSON.parse(
          (await buffer(await context.storage.get(object.key))).toString()
        ) as SnapshotMeta
        result.push({ id: meta.id, time: new Date(meta.time), tags: meta.tags })
      }

      return result
    },

    async listFiles(context, request) {
      const entries = await readIndex(context, request.snapshot.id)
      const prefix = request.prefix
      return entries
        .filter((entry) => entry.path !== '.')
        .filter(
          (entry) =>
            prefix === undefined || entry.path === prefix || entry.path.startsWith(`${prefix}/`)
        )
        .map((entry): FileEntry => ({ ...entry, mtime: new Date(entry.mtimeMs) }))
    },

    async restore(context, request) {
      const entries = await readIndex(context, request.snapshot.id)
      const leftInPlace: string[] = []
      if (request.mode === 'replace') {
        for (const name of await fs.readdir(request.target)) {
          await fs.rm(path.join(request.target, name), { recursive: true, force: true })
        }
      } else {
        const known = new Set(entries.map((entry) => entry.path))
        for (const name of await fs.readdir(request.target)) {
          if (!known.has(name)) {
            leftInPlace.push(name)
          }
        }
      }

      const args = [
        '--extract',
        '--xattrs',
        '--xattrs-include=*',
        '--numeric-owner',
        '--same-owner',
      ]
      args.push('--same-permissions', '--sparse', '-C', request.target)
      if (request.paths !== undefined) {
        const list = path.join(context.workDir, 'paths')
        await fs.writeFile(list, request.paths.map((member) => `./${member}\0`).join(''))
        args.push('--null', '-T', list)
      }

      const tar = spawn('tar', args, { stdio: ['pipe', 'ignore', 'pipe'], env: { LC_ALL: 'C' } })
      const stderr = collect(tar.stderr)
      const exited = exitOf(tar)
      // tar may exit before reading the zero blocks after the end-of-archive marker.
      const archive = await context.storage.get(`snapshots/${request.snapshot.id}/archive.tar`)
      const fed = pipeline(archive, tar.stdin).catch((error: unknown) => error)
      const code = await exited
      await fed
      if (code !== 0) {
        throw new Error(`tar --extract exited with ${code}: ${await stderr}`)
      }

      return {
        files: entries.length,
        directories: 0,
        bytesWritten: 0,
        rejected: [],
        leftInPlace,
        warnings: [],
      }
    },

    async forget(context, request) {
      for (const snapshot of request.snapshots) {
        for (const object of await context.storage.list(`snapshots/${snapshot.id}/`)) {
          await context.storage.delete(object.key)
        }
      }
    },

    async verify(context, request) {
      const problems: string[] = []
      for (const artifact of request.snapshot.artifacts) {
        const stored = await context.storage.stat(artifact.key)
        if (stored === null || stored.size !== artifact.size) {
          problems.push(`${artifact.key}: missing or of the wrong size`)
          continue
        }

        if (request.level !== 'data') {
          continue
        }

        const hash = createHash('sha256')
        await pipeline(await context.storage.get(artifact.key), hash)
        if (hash.digest('hex') !== artifact.sha256) {
          problems.push(`${artifact.key}: sha256 mismatch`)
        }
      }

      return { ok: problems.length === 0, problems }
    },
  }
}

async function readIndex(context: EngineContext, snapshotId: string): Promise<IndexEntry[]> {
  const stream = await context.storage.get(`snapshots/${snapshotId}/index.json`)
  const entries = JSON.parse((await buffer(stream)).toString()) as IndexEntry[]
  return entries.map((entry) => ({ ...entry, path: entry.path }))
}

async function putCounted(
  context: EngineContext,
  key: string,
  body: Readable,
  role: string
): Promise<Artifact> {
  const hash = createHash('sha256')
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      callback(null, chunk)
    },
  })
  const upload = context.storage.put(key, tee, { signal: context.signal })
  await pipeline(body, tee)
  const { size } = await upload
  return { key, size, sha256: hash.digest('hex'), role }
}

function collect(stream: Readable): Promise<string> {
  return buffer(stream).then((bytes) => bytes.toString())
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve(code ?? -1))
  })
}
