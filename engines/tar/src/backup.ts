import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { type Readable } from 'node:stream'
import type {
  Artifact,
  BackupRequest,
  BackupResult,
  EngineContext,
  EngineWarning,
} from '@coffer/sdk'
import { CofferError } from '@coffer/sdk'
import { ArchiveWriter } from './archive_writer.js'
import { createArguments, parseTarWarnings, startTar } from './gnu_tar.js'
import { IndexWriter } from './index_file.js'
import { assertSnapshotId, snapshotKeys } from './layout.js'
import { writeSnapshotMetadata } from './metadata.js'
import { parseOptions } from './options.js'
import { TarParser } from './tar_parser.js'

// Progress events are sent at most once per this many tar bytes.
const PROGRESS_STEP = 64 * 1024 * 1024

/**
 * Backs up a folder (through GNU tar) or a tar stream whose entries are relative to the volume
 * root. The tar stream is parsed for the index as it passes, cut into blocks, compressed,
 * optionally encrypted, and uploaded while it is still being read. Nothing of the archive is
 * staged on disk; only the index (one line per entry) is written to the work folder first.
 */
export async function runBackup(
  context: EngineContext,
  request: BackupRequest
): Promise<BackupResult> {
  const options = parseOptions(context.options)
  assertSnapshotId(request.snapshotId)
  if (options.encrypt && !options.encryptionKey) {
    throw new CofferError(
      'INVALID_OPTIONS',
      'encryption is on but encryptionKey is missing; let the host generate the key'
    )
  }

  const keys = snapshotKeys(request.snapshotId, options)
  const createdAt = new Date()
  const stats = { files: 0, directories: 0, bytesRead: 0, bytesStored: 0 }

  const index = new IndexWriter(join(context.workDir, 'index.tmp'), options, {
    format: 'coffer-tar-index',
    version: 1,
    snapshotId: request.snapshotId,
    compression: options.compression,
    encrypted: options.encrypt,
    blockSize: options.blockSize,
  })
  const writer = new ArchiveWriter(options, (block) => index.addBlock(block))
  const parser = new TarParser({
    onEntry(entry) {
      index.addEntry(entry)
      if (entry.type === 'directory') {
        stats.directories++
      } else if (entry.type === 'file') {
        stats.files++
        stats.bytesRead += entry.size
      } else {
        stats.files++
      }
    },
  })

  context.log('info', 'backup started', {
    snapshotId: request.snapshotId,
    compression: options.compression,
    encrypted: options.encrypt,
  })
  const upload = context.storage.put(keys.archive, writer.output, { signal: context.signal })
  let uploadError: unknown
  upload.catch((error) => {
    uploadError = error
  })

  const source = request.source
  const tar =
    source.kind === 'path' ? startTar(createArguments(source.path), 'ignore', 'pipe') : undefined
  const input = tar
    ? (tar.child.stdout as Readable)
    : source.kind === 'tar-stream'
      ? source.stream
      : undefined
  const onAbort = () => (tar ? tar.child.kill('SIGTERM') : input?.destroy())
  context.signal.addEventListener('abort', onAbort)

  try {
    if (!input) {
      throw new CofferError(
        'UNSUPPORTED',
        `backup source kind ${(source as { kind: string }).kind} is not supported; use "path" or "tar-stream"`
      )
    }

    let nextProgress = PROGRESS_STEP
    for await (const chunk of input) {
      parser.write(chunk)
      await writer.write(chunk)
      await index.drain()
      if (parser.position >= nextProgress) {
        nextProgress += PROGRESS_STEP
        context.progress({ phase: 'backup', bytesDone: parser.position, filesDone: parser.entries })
      }
    }

    const exit = tar ? await tar.exited : { code: 0, signal: null, stderr: '' }
    if (context.signal.aborted) {
      throw new CofferError('CANCELLED', `backup of snapshot ${request.snapshotId} was cancelled`)
    }

    if (exit.code !== 0 && exit.code !== 1) {
      const detail = exit.stderr.trim().split('\n').slice(-5).join(' | ')
      throw new CofferError(
        'INTERNAL',
        `tar failed with exit code ${exit.code ?? exit.signal} while reading ${describeSource(request)}: ${detail}`
      )
    }

    parser.end()
    const archive = await writer.finish()
    await upload
    const warnings: EngineWarning[] = parseTarWarnings(exit.stderr)

    const indexFile = await index.finish({
      entries: parser.entries,
      blocks: archive.blocks,
      tarSize: archive.tarSize,
      archiveSize: archive.storedSize,
      archiveSha256: archive.sha256,
    })
    await context.storage.put(keys.index, createReadStream(join(context.workDir, 'index.tmp')), {
      signal: context.signal,
    })

    const artifacts: Artifact[] = [
      { key: keys.archive, size: archive.storedSize, sha256: archive.sha256, role: 'archive' },
      { key: keys.index, size: indexFile.size, sha256: indexFile.sha256, role: 'index' },
    ]
    artifacts.push(
      await writeSnapshotMetadata(context, keys.metadata, {
        id: request.snapshotId,
        time: createdAt,
        tags: request.tags,
        compression: options.compression,
        encrypted: options.encrypt,
      })
    )

    stats.bytesStored = artifacts.reduce((sum, artifact) => sum + artifact.size, 0)
    for (const warning of warnings) {
      context.log('warn', warning.message, { snapshotId: request.snapshotId, code: warning.code })
    }
    context.log('info', 'backup finished', {
      snapshotId: request.snapshotId,
      ...stats,
      warnings: warnings.length,
    })

    return { snapshot: { id: request.snapshotId, artifacts }, stats, warnings }
  } catch (error) {
    tar?.child.kill('SIGTERM')
    writer.output.destroy(error as Error)
    await upload.catch(() => {})
    context.log('error', 'backup failed', {
      snapshotId: request.snapshotId,
      error: (error as Error).message,
    })
    if (context.signal.aborted) {
      throw new CofferError('CANCELLED', `backup of snapshot ${request.snapshotId} was cancelled`, {
        cause: error,
      })
    }

    // A failed upload closes the stream the loop writes to; its error is the one to report.
    throw uploadError ?? error
  } finally {
    context.signal.removeEventListener('abort', onAbort)
    await writer.close()
  }
}

function describeSource(request: BackupRequest): string {
  return request.source.kind === 'path' ? request.source.path : 'the tar stream'
}
