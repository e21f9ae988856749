import type { FileEntry } from '../contract.js'
import { SkipCheck } from './check_runner.js'
import { callEngine } from './engine_calls.js'
import { displayPath, isUtf8 } from './path_bytes.js'
import { skippedPaths } from './tree_checks.js'
import type { TreeEntry } from './tree_digest.js'
import type { VolumeRun } from './volume_checks.js'

/**
 * Checks `listFiles` against the source tree: every entry listed once with its type, mode,
 * owner and size, and a prefix listing limited to that folder. Paths that are not valid UTF-8
 * cannot be matched by name, so for them only the count is checked.
 */
export async function checkListing(run: VolumeRun): Promise<string[]> {
  if (run.capabilities.fileListing === false) {
    throw new SkipCheck('the engine does not declare fileListing')
  }

  const { volume, settings } = run
  const snapshot = run.backup!.snapshot
  const listed = await callEngine(settings, 'listFiles', (context) =>
    settings.engine.listFiles(context, { snapshot })
  )

  const skipped = new Set(
    skippedPaths(volume, { warnings: run.backup!.warnings, sourceKind: settings.sourceKind })
  )
  const expected = [...run.source!.entries.values()].filter((entry) => {
    const relative = entry.path.toString('utf8')
    return relative !== '.' && !skipped.has(relative)
  })
  // An engine may list an entry it skipped with a warning, or leave it out.
  const listedKept = listed.filter((entry) => !skipped.has(normalize(entry.path)))
  const problems = compareListing(expected, listedKept, new Set(volume.growingPaths))

  if (volume.listPrefix === undefined) {
    return problems
  }

  const prefix = volume.listPrefix
  const underPrefix = await callEngine(settings, 'listFiles', (context) =>
    settings.engine.listFiles(context, { snapshot, prefix })
  )
  const expectedUnder = expected.filter((entry) =>
    entry.path.toString('utf8').startsWith(`${prefix}/`)
  )
  const listedUnder = underPrefix.filter((entry) => normalize(entry.path) !== prefix)
  const prefixProblems = compareListing(expectedUnder, listedUnder, new Set(volume.growingPaths))
  problems.push(
    ...prefixProblems.map((problem) => `with prefix ${JSON.stringify(prefix)}: ${problem}`)
  )
  return problems
}

function compareListing(
  expected: TreeEntry[],
  listed: FileEntry[],
  growing: Set<string>
): string[] {
  const problems: string[] = []
  const byPath = new Map<string, FileEntry>()
  for (const entry of listed) {
    const relative = normalize(entry.path)
    if (relative === '' || relative === '.') {
      continue
    }

    if (byPath.has(relative)) {
      problems.push(`${displayPath(relative)} listed twice`)
    }

    byPath.set(relative, entry)
  }

  let nonUtf8 = 0
  for (const want of expected) {
    if (!isUtf8(want.path)) {
      nonUtf8 += 1
      continue
    }

    const relative = want.path.toString('utf8')
    const got = byPath.get(relative)
    byPath.delete(relative)
    if (got === undefined) {
      problems.push(`${displayPath(relative)}: ${want.type} not listed`)
      continue
    }

    problems.push(...compareEntry(relative, want, got, growing.has(relative)))
  }

  if (byPath.size !== nonUtf8) {
    const unmatched = [...byPath.keys()].map((relative) => displayPath(relative)).join(', ')
    problems.push(
      `${byPath.size} listed entries match no source path, expected ${nonUtf8} (names that are not UTF-8): ${unmatched}`
    )
  }

  return problems
}

function compareEntry(relative: string, want: TreeEntry, got: FileEntry, growing: boolean) {
  const problems: string[] = []
  const shown = displayPath(relative)
  const hardLinked =
    want.type === 'file' && want.hardLinkGroup !== undefined && got.type === 'hardlink'
  if (got.type !== want.type && !hardLinked) {
    problems.push(`${shown}: type source ${want.type}, listed ${got.type}`)
    return problems
  }

  if (want.type !== 'symlink' && (got.mode & 0o7777) !== want.mode) {
    const listed = (got.mode & 0o7777).toString(8)
    problems.push(`${shown}: mode source 0${want.mode.toString(8)}, listed 0${listed}`)
  }

  if (got.uid !== want.uid || got.gid !== want.gid) {
    problems.push(`${shown}: owner source ${want.uid}:${want.gid}, listed ${got.uid}:${got.gid}`)
  }

  if (want.type === 'file' && !hardLinked && !growing && got.size !== want.size) {
    problems.push(`${shown}: size source ${want.size}, listed ${got.size}`)
  }

  if (want.type === 'symlink' && got.linkTarget !== want.linkTarget?.toString('utf8')) {
    problems.push(
      `${shown}: link target source ${displayPath(want.linkTarget!)}, listed ${JSON.stringify(got.linkTarget)}`
    )
  }

  return problems
}

function normalize(entryPath: string): string {
  return entryPath.replace(/^\.\//, '').replace(/^\/+/, '').replace(/\/+$/, '')
}
