import type { EngineContext, VerifyRequest, VerifyResult } from '@coffer/sdk'
import { CofferError } from '@coffer/sdk'
import { readWholeArchive } from './archive_reader.js'
import { readIndex, type IndexTrailer } from './index_file.js'
import { artifactOf, formatOf, requireKeyFor } from './layout.js'
import { parseOptions } from './options.js'
import { TarParser } from './tar_parser.js'

/**
 * Verifies a snapshot. `structure`: every artifact exists with its recorded size. `metadata`:
 * also the index opens, parses and matches the archive record. `data`: also the whole archive
 * opens, decompresses and parses as tar, with the recorded sha256 and entry count.
 */
export async function verifySnapshot(
  context: EngineContext,
  request: VerifyRequest
): Promise<VerifyResult> {
  const problems: string[] = []
  const options = parseOptions(context.options)

  for (const artifact of request.snapshot.artifacts) {
    const object = await context.storage.stat(artifact.key, { signal: context.signal })
    if (!object) {
      problems.push(`artifact ${artifact.key} is missing`)
    } else if (object.size !== artifact.size) {
      problems.push(`artifact ${artifact.key} has ${object.size} bytes, expected ${artifact.size}`)
    }
  }

  if (request.level === 'structure' || problems.length > 0) {
    return { ok: problems.length === 0, problems }
  }

  const archive = artifactOf(request.snapshot, 'archive')
  const index = artifactOf(request.snapshot, 'index')
  const format = formatOf(archive)
  requireKeyFor(format, options, request.snapshot.id)

  let trailer: IndexTrailer | undefined
  try {
    const body = await context.storage.get(index.key, { signal: context.signal })
    for await (const line of readIndex(body, formatOf(index), options.encryptionKey)) {
      if (line.kind === 'trailer') {
        trailer = line.trailer
      }
    }
  } catch (error) {
    return { ok: false, problems: [...problems, describe(error, index.key)] }
  }

  if (
    trailer &&
    (trailer.archiveSha256 !== archive.sha256 || trailer.archiveSize !== archive.size)
  ) {
    problems.push(`index ${index.key} describes another archive than ${archive.key}`)
  }

  if (request.level === 'metadata' || problems.length > 0) {
    return { ok: problems.length === 0, problems }
  }

  // NOTE: readFraction is not used: the archive is one sha256-checked stream, so data
  // verification always reads all of it.
  const parser = new TarParser({ onEntry: () => true })
  try {
    for await (const chunk of readWholeArchive(
      context.storage,
      archive,
      format,
      options.encryptionKey,
      context.signal
    )) {
      parser.write(chunk)
    }
    parser.end()
  } catch (error) {
    return { ok: false, problems: [...problems, describe(error, archive.key)] }
  }

  if (trailer && parser.entries !== trailer.entries) {
    problems.push(
      `archive ${archive.key} holds ${parser.entries} entries, the index lists ${trailer.entries}`
    )
  }

  return { ok: problems.length === 0, problems }
}

function describe(error: unknown, key: string): string {
  if (error instanceof CofferError) {
    return `${key}: ${error.code}: ${error.message}`
  }

  return `${key}: ${(error as Error).message}`
}
