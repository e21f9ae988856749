import Resource from '#models/resource'
import Schedule, { type ScheduleScope } from '#models/schedule'

/** Scopes from the most specific to the least: a resource, then its server, then its instance. */
const SCOPE_ORDER: ScheduleScope[] = ['resource', 'server', 'instance']

function scopeIdOf(resource: Resource, scope: ScheduleScope) {
  if (scope === 'resource') {
    return resource.id
  }
  return scope === 'server' ? resource.serverId : resource.instanceId
}

/**
 * Returns the schedules that apply to a resource: those of the most specific scope that has any
 * enabled schedule. Several schedules of that scope all apply (for example two destinations).
 */
export function schedulesForResource(resource: Resource, schedules: Schedule[]) {
  for (const scope of SCOPE_ORDER) {
    const scopeId = scopeIdOf(resource, scope)
    const matching = schedules.filter(
      (schedule) => schedule.enabled && schedule.scopeType === scope && schedule.scopeId === scopeId
    )
    if (matching.length > 0) {
      return matching
    }
  }
  return []
}

/** Loads the resources a schedule's scope covers, whether or not they are enabled. */
export async function resourcesInScope(schedule: Schedule) {
  const column =
    schedule.scopeType === 'resource'
      ? 'id'
      : schedule.scopeType === 'server'
        ? 'server_id'
        : 'instance_id'
  return Resource.query().where(column, schedule.scopeId).whereNull('missing_at').orderBy('name')
}

/**
 * Returns the resources a schedule backs up: enabled for scheduled backups, present, and not
 * covered by a more specific schedule.
 */
export async function scheduledResources(schedule: Schedule, allSchedules: Schedule[]) {
  const candidates = await resourcesInScope(schedule)
  return candidates.filter(
    (resource) =>
      resource.backupEnabled &&
      schedulesForResource(resource, allSchedules).some((entry) => entry.id === schedule.id)
  )
}

/** Resources enabled for scheduled backups that no enabled schedule covers. */
export async function unscheduledResources() {
  const schedules = await Schedule.query().where('enabled', true)
  const enabled = await Resource.query()
    .where('backup_enabled', true)
    .whereNull('missing_at')
    .orderBy('name')
  return enabled.filter((resource) => schedulesForResource(resource, schedules).length === 0)
}
