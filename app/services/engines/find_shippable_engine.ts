import { compareSemanticVersions } from '@coffer/sdk'
import Engine from '#models/engine'

/** Returns the newest accepted bundle of an engine, or null when none can be shipped. */
export async function findShippableEngine(engineId: string) {
  const accepted = await Engine.query().where('engine_id', engineId).where('status', 'accepted')
  accepted.sort((a, b) => compareSemanticVersions(b.version, a.version))
  return accepted[0] ?? null
}
