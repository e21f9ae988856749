import type { EngineContext, VerifyRequest, VerifyResult } from '@coffer/sdk'
import { CofferError, isCofferError } from '@coffer/sdk'
import { forEachNode } from './nodes.js'
import { ResticRepository } from './repository.js'
import type { ResticEngineConfig } from './repository.js'
import { findSnapshot } from './snapshots.js'

/** restic's progress lines, left out of the problems a failed check reports. */
const NOISE =
  /^(using temporary cache|create exclusive lock|load indexes|check all packs|check snapshots|read all data|read group|no errors were found|\[|\s*$)/i

/**
 * Verifies the repository with `restic check`. `structure` checks indexes, packs and trees.
 * `metadata` also reads every tree of the snapshot. `data` also reads all pack data, or a
 * random subset of `readFraction` of it (`--read-data-subset`).
 */
export async function verify(
  context: EngineContext,
  config: ResticEngineConfig,
  request: VerifyRequest
): Promise<VerifyResult> {
  const repository = await ResticRepository.open(context, config, {
    create: false,
    removeStaleLocks: true,
  })
  try {
    const problems: string[] = []

    let snapshotId: string | undefined
    try {
      snapshotId = (await findSnapshot(repository, request.snapshot)).id
    } catch (error) {
      if (!isCofferError(error, 'NOT_FOUND')) throw error
      problems.push(error.message)
    }

    const args = checkArguments(request)
    const lines: string[] = []
    const output = await repository.run('check', args, {
      allowExitCodes: [1],
      onLine: (line) => lines.push(line),
    })
    if (output.exitCode !== 0) {
      const reported = [...lines, ...output.stderr.split('\n')].filter(
        (line) => !NOISE.test(line.trim())
      )
      problems.push(...(reported.length > 0 ? reported : ['restic check failed without details']))
    }

    if (request.level !== 'structure' && snapshotId !== undefined) {
      let entries = 0
      await forEachNode(repository, snapshotId, () => entries++)
      context.log('debug', 'read every tree of the snapshot', {
        snapshotId: request.snapshot.id,
        entries,
      })
    }

    context.log(problems.length === 0 ? 'info' : 'warn', 'restic verify finished', {
      snapshotId: request.snapshot.id,
      level: request.level,
      problems: problems.length,
    })
    return { ok: problems.length === 0, problems }
  } finally {
    await repository.close()
  }
}

function checkArguments(request: VerifyRequest): string[] {
  if (request.level !== 'data') {
    return []
  }

  const fraction = request.readFraction
  if (fraction === undefined || fraction >= 1) {
    return ['--read-data']
  }

  if (!(fraction > 0)) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `readFraction ${fraction} is out of range: expected a number above 0 and at most 1`
    )
  }

  // restic reads "x.y%" as a percentage of the packs; 0.001 % is the smallest step used here.
  const percent = Math.max(fraction * 100, 0.001)
  return [`--read-data-subset=${percent.toFixed(3)}%`]
}
