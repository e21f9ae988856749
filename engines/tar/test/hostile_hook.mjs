// The tar engine's HostileArtifactsHook for the conformance kit, shared by conformance.test.ts and
// `coffer-engine test <bundle> --hostile test/hostile_hook.mjs`. It writes each hostile case as a
// pax tar stream (with Python's tarfile, which writes member names without any check) and stores
// it through the engine's own backup, which keeps a tar stream's entries as they are.
import { execFileSync } from 'node:child_process'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'

const JSON_TAR_SCRIPT = fileURLToPath(new URL('fixtures/tar_from_json.py', import.meta.url))

/** @type {import('@coffer/sdk').HostileArtifactsHook} */
export default async function writeHostileArchive(hostileCase, context, engine) {
  const tarBytes = execFileSync('python3', [JSON_TAR_SCRIPT], {
    input: JSON.stringify(hostileCase.entries),
  })
  const result = await engine.backup(context, {
    snapshotId: hostileCase.snapshotId,
    source: { kind: 'tar-stream', stream: Readable.from([tarBytes]) },
    tags: {},
  })
  return result.snapshot
}
