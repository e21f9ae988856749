import type { EngineContext, RejectedEntry, SnapshotRef } from '@coffer/sdk'
import type { TarRange } from './archive_reader.js'
import type { BlockInfo } from './archive_writer.js'
import { EntryGuard } from './entry_guard.js'
import { readIndex, type IndexEntry } from './index_file.js'
import { artifactOf, formatOf } from './layout.js'
import type { TarOptions } from './options.js'
import { isUnder, textToPath } from './paths.js'
import type { TarEntry } from './tar_parser.js'

/** The parts of an archive that a partial restore reads. */
export interface Selection {
  ranges: TarRange[]
  blocks: BlockInfo[]
  rejected: RejectedEntry[]
}

/**
 * Finds, from the index, the entries under the requested paths plus the files their hard links
 * point to (tar needs the first name of a hard link to create the others). Entries the guard
 * rejects when the whole index is replayed are reported and left out.
 */
export async function selectEntries(
  context: EngineContext,
  snapshot: SnapshotRef,
  options: TarOptions,
  scope: Buffer[]
): Promise<Selection> {
  const selection: Selection = { ranges: [], blocks: [], rejected: [] }
  const linkTargets = new Set<string>()
  const chosen = new Set<number>()

  await forEachIndexLine(context, snapshot, options, (entry, guardReason, block) => {
    if (block) {
      selection.blocks.push(block)
      return
    }

    const path = textToPath(entry!.p)
    if (!scope.some((prefix) => isUnder(path, prefix))) {
      return
    }

    if (guardReason) {
      selection.rejected.push({ path: entry!.p, reason: guardReason })
      return
    }

    chosen.add(entry!.o)
    selection.ranges.push({ start: entry!.o, end: entry!.n })
    if (entry!.t === 'hardlink' && entry!.l !== undefined) {
      linkTargets.add(entry!.l)
    }
  })

  if (linkTargets.size > 0) {
    await forEachIndexLine(context, snapshot, options, (entry, guardReason) => {
      if (entry && !guardReason && linkTargets.has(entry.p) && !chosen.has(entry.o)) {
        chosen.add(entry.o)
        selection.ranges.push({ start: entry.o, end: entry.n })
      }
    })
  }

  selection.ranges.sort((left, right) => left.start - right.start)
  return selection
}

async function forEachIndexLine(
  context: EngineContext,
  snapshot: SnapshotRef,
  options: TarOptions,
  visit: (entry: IndexEntry | undefined, guardReason: string | null, block?: BlockInfo) => void
): Promise<void> {
  const artifact = artifactOf(snapshot, 'index')
  const body = await context.storage.get(artifact.key, { signal: context.signal })
  const guard = new EntryGuard()

  for await (const line of readIndex(body, formatOf(artifact), options.encryptionKey)) {
    if (line.kind === 'block') {
      visit(undefined, null, line.block)
    } else if (line.kind === 'entry') {
      visit(line.entry, guard.check(entryOf(line.entry)), undefined)
    }
  }
}

function entryOf(entry: IndexEntry): TarEntry {
  return {
    path: textToPath(entry.p),
    linkPath: entry.l === undefined ? undefined : textToPath(entry.l),
    type: entry.t,
    typeflag: entry.t,
    mode: entry.m,
    uid: entry.u,
    gid: entry.g,
    size: entry.s,
    mtime: entry.mt,
    headerOffset: entry.o,
    endOffset: entry.n,
  }
}
