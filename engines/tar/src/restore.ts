import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { EngineContext, RejectedEntry, RestoreRequest, RestoreResult } from '@coffer/sdk'
import { CofferError } from '@coffer/sdk'
import { readArchiveRanges, readWholeArchive } from './archive_reader.js'
import { EntryGuard, pathProblem } from './entry_guard.js'
import { extractArguments, parseTarWarnings, startTar } from './gnu_tar.js'
import { artifactOf, formatOf, requireKeyFor } from './layout.js'
import { parseOptions } from './options.js'
import { normalizeArchivePath, pathToText, textToPath } from './paths.js'
import { placeStagedTree } from './placement.js'
import { selectEntries } from './selection.js'
import { writeChunk } from './stream_util.js'
import { TarParser } from './tar_parser.js'

const END_OF_ARCHIVE = Buffer.alloc(1024)

/**
 * Restores a snapshot into `request.target`. Entries pass through `EntryGuard` and GNU tar
 * extracts them into a fresh staging folder inside the target. The staged tree moves into place
 * only after tar and the integrity checks succeed, so a damaged archive leaves the target as it
 * was. Directory metadata (mode, owner, mtime, xattrs) is applied last, by a second tar run.
 */
export async function runRestore(
  context: EngineContext,
  request: RestoreRequest
): Promise<RestoreResult> {
  const options = parseOptions(context.options)
  const archive = artifactOf(request.snapshot, 'archive')
  const format = formatOf(archive)
  requireKeyFor(format, options, request.snapshot.id)

  const targetInfo = await stat(request.target).catch(() => null)
  if (!targetInfo?.isDirectory()) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `restore target ${request.target} is not an existing folder; create it first`
    )
  }

  const scope = (request.paths ?? []).map((path) => parseRequestedPath(path))
  const partial = scope.length > 0 && !scope.some((path) => path.length === 0)
  const stagingName = `.coffer-restore-${randomBytes(6).toString('hex')}`
  const staging = join(request.target, stagingName)
  const directoriesFile = join(context.workDir, 'directories.tar')
  await mkdir(staging, { mode: 0o700 })

  const result: RestoreResult = {
    files: 0,
    directories: 0,
    bytesWritten: 0,
    rejected: [],
    leftInPlace: [],
    warnings: [],
  }
  context.log('info', 'restore started', {
    snapshotId: request.snapshot.id,
    mode: request.mode,
    partial,
  })

  try {
    let source: AsyncIterable<Buffer>
    if (partial) {
      const selection = await selectEntries(context, request.snapshot, options, scope)
      result.rejected.push(...selection.rejected)
      source = readArchiveRanges(
        context.storage,
        archive,
        format,
        options.encryptionKey,
        selection.blocks,
        selection.ranges,
        context.signal
      )
    } else {
      source = readWholeArchive(
        context.storage,
        archive,
        format,
        options.encryptionKey,
        context.signal
      )
    }

    const rejected = await extractFiltered(
      source,
      staging,
      directoriesFile,
      partial,
      result,
      context.signal
    )
    for (const entry of rejected) {
      if (!result.rejected.some((known) => known.path === entry.path)) {
        result.rejected.push(entry)
      }
    }

    const placement = await placeStagedTree(staging, request.target, {
      mode: request.mode,
      scope: partial ? scope : [],
      stagingName,
    })
    result.leftInPlace = placement.leftInPlace
    await rm(staging, { recursive: true, force: true })

    const directoryWarnings = await applyDirectoryMetadata(directoriesFile, request.target)
    result.warnings.push(...directoryWarnings)
  } finally {
    await rm(staging, { recursive: true, force: true })
    await rm(directoriesFile, { force: true })
  }

  for (const entry of result.rejected) {
    context.log('warn', `restore rejected entry: ${entry.reason}`, {
      snapshotId: request.snapshot.id,
      path: entry.path,
    })
  }
  context.log('info', 'restore finished', {
    snapshotId: request.snapshot.id,
    files: result.files,
    rejected: result.rejected.length,
  })
  return result
}

/**
 * Feeds the tar stream through the guard into `tar --extract`, counting what is written and
 * copying directory headers to `directoriesFile` for the final metadata pass.
 */
async function extractFiltered(
  source: AsyncIterable<Buffer>,
  staging: string,
  directoriesFile: string,
  partial: boolean,
  result: RestoreResult,
  signal: AbortSignal
): Promise<RejectedEntry[]> {
  const guard = new EntryGuard()
  const rejected: RejectedEntry[] = []
  const tar = startTar(extractArguments(staging), 'pipe', 'ignore')
  const stdin = tar.child.stdin!
  stdin.on('error', () => {})
  const directories = createWriteStream(directoriesFile, { mode: 0o600 })
  let output: Buffer[] = []
  let currentIsDirectory = false

  const filter = new TarParser({
    onEntry(entry) {
      const reason = guard.check(entry)
      if (reason) {
        rejected.push({ path: pathToText(normalizeArchivePath(entry.path)), reason })
        return false
      }

      currentIsDirectory = entry.type === 'directory'
      if (entry.type === 'directory') {
        result.directories++
      } else {
        result.files++
        result.bytesWritten += entry.type === 'file' ? entry.size : 0
      }
      return true
    },
    onOutput(chunk) {
      output.push(chunk)
      if (currentIsDirectory) {
        directories.write(chunk)
      }
    },
  })

  const onAbort = () => tar.child.kill('SIGTERM')
  signal.addEventListener('abort', onAbort)
  try {
    for await (const chunk of source) {
      filter.write(chunk)
      for (const piece of output) {
        await writeChunk(stdin, piece, 'tar --extract')
      }
      output = []
    }

    if (partial) {
      filter.write(END_OF_ARCHIVE)
    }
    filter.end()
    await writeChunk(stdin, END_OF_ARCHIVE, 'tar --extract')
    stdin.end()
  } catch (error) {
    tar.child.kill('SIGTERM')
    throw error
  } finally {
    signal.removeEventListener('abort', onAbort)
    directories.end(END_OF_ARCHIVE)
    await new Promise<void>((resolve) => directories.on('close', () => resolve()))
  }

  const exit = await tar.exited
  if (signal.aborted) {
    throw new CofferError('CANCELLED', 'restore was cancelled')
  }

  if (exit.code !== 0) {
    const detail = exit.stderr.trim().split('\n').slice(-5).join(' | ')
    throw new CofferError(
      'INTERNAL',
      `tar --extract failed with exit code ${exit.code ?? exit.signal}: ${detail}`
    )
  }

  result.warnings.push(...parseTarWarnings(exit.stderr))
  return rejected
}

/** Re-extracts only the accepted directory entries onto the target to set their metadata. */
async function applyDirectoryMetadata(directoriesFile: string, target: string) {
  // tar reads the file itself: feeding it through stdin raced with tar's exit, and Node then
  // reported a premature close on the pipe although tar had succeeded.
  const args = extractArguments(target).map((argument) =>
    argument === '--file=-' ? `--file=${directoriesFile}` : argument
  )
  const tar = startTar([...args, '--no-recursion'], 'ignore', 'ignore')
  const exit = await tar.exited
  if (exit.code !== 0) {
    const detail = exit.stderr.trim().split('\n').slice(-5).join(' | ')
    throw new CofferError(
      'INTERNAL',
      `tar failed to set folder metadata with exit code ${exit.code}: ${detail}`
    )
  }

  return parseTarWarnings(exit.stderr)
}

function parseRequestedPath(text: string): Buffer {
  const raw = textToPath(text.replace(/^\/+/, ''))
  const problem = pathProblem(raw)
  if (problem) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `invalid restore path ${JSON.stringify(text)}: ${problem}`
    )
  }

  return normalizeArchivePath(raw)
}
