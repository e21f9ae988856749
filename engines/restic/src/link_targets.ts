import type { ResticRepository } from './repository.js'

/** Names per `restic find` call, to keep the command line short. */
const NAMES_PER_CALL = 200

/** One match of `restic find --json` (the fields the engine reads). */
interface FindMatch {
  path: string
  type: string
  linktarget?: string
}

/**
 * Returns the targets of the snapshot's symbolic links, by snapshot path. restic 0.14's
 * `ls --json` prints no link target but `find --json` does, so this runs `find` with the link
 * names (as escaped patterns), a batch of names per call.
 */
export async function findLinkTargets(
  repository: ResticRepository,
  snapshotId: string,
  names: string[]
): Promise<Map<string, string>> {
  const targets = new Map<string, string>()
  for (let start = 0; start < names.length; start += NAMES_PER_CALL) {
    const patterns = names.slice(start, start + NAMES_PER_CALL).map(escapePattern)
    const lines: string[] = []
    await repository.run('find', ['--json', '--snapshot', snapshotId, '--', ...patterns], {
      onLine: (line) => lines.push(line),
    })

    for (const line of lines) {
      if (!line.startsWith('[')) {
        continue
      }

      const results = JSON.parse(line) as Array<{ matches?: FindMatch[] }>
      for (const match of results.flatMap((result) => result.matches ?? [])) {
        if (match.type === 'symlink' && match.linktarget !== undefined) {
          targets.set(match.path, match.linktarget)
        }
      }
    }
  }

  return targets
}

/** Escapes the characters that Go's `path.Match` patterns give a meaning. */
export function escapePattern(name: string): string {
  return name.replace(/[\\*?[\]]/g, (character) => `\\${character}`)
}
