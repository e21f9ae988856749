import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import Destination from '#models/destination'
import Instance from '#models/instance'
import Resource from '#models/resource'
import Schedule from '#models/schedule'
import Server from '#models/server'
import audit from '#services/audit'
import { scheduleTimezone } from '#services/schedules/backup_settings'
import { nextRuns, parseCron } from '#services/schedules/cron_expression'
import { scheduledResources, unscheduledResources } from '#services/schedules/schedule_scope'
import { scheduleValidator } from '#validators/schedule'

/** Runs shown per schedule on the schedules page. */
const SHOWN_RUNS = 3

/** Schedules: cron, scope, destination, mode and retention, with their next runs. */
export default class SchedulesController {
  async index({ view }: HttpContext) {
    const zone = await scheduleTimezone()
    const schedules = await Schedule.query().orderBy('name')
    const destinations = await Destination.query().orderBy('name')
    const resources = await Resource.query().whereNull('missing_at').orderBy('name')
    const servers = await Server.query().whereNull('missing_at').orderBy('name')
    const instances = await Instance.query().orderBy('name')

    const rows = []
    for (const schedule of schedules) {
      const covered = schedule.enabled ? await scheduledResources(schedule, schedules) : []
      rows.push({
        schedule,
        scopeLabel: scopeLabel(schedule, { resources, servers, instances }),
        destination: destinations.find((entry) => entry.id === schedule.destinationId),
        nextRuns: schedule.enabled
          ? nextRuns(parseCron(schedule.cron), zone, DateTime.now(), SHOWN_RUNS).map((run) =>
              run.setZone(zone).toFormat('ccc yyyy-MM-dd HH:mm ZZZZ')
            )
          : [],
        resources: covered,
      })
    }

    return view.render('pages/schedules/index', {
      zone,
      rows,
      unscheduled: await unscheduledResources(),
      destinations,
      resources,
      servers,
      instances,
    })
  }

  async store(ctx: HttpContext) {
    const { request, response, session } = ctx
    const input = await request.validateUsing(scheduleValidator)

    if (!(await scopeExists(input.scopeType, input.scopeId))) {
      session.flash(
        'error',
        `The ${input.scopeType} ${input.scopeId} was not found. Pick it again from the list.`
      )
      return response.redirect().back()
    }
    await Destination.findOrFail(input.destinationId)

    const schedule = await Schedule.create({
      name: input.name,
      scopeType: input.scopeType,
      scopeId: input.scopeId,
      destinationId: input.destinationId,
      cron: input.cron,
      mode: input.mode,
      retention: {
        daily: input.daily,
        weekly: input.weekly,
        monthly: input.monthly,
        yearly: input.yearly,
      },
      enabled: true,
      lastSlotAt: null,
    })
    await audit.record(ctx, 'schedule.created', { scheduleId: schedule.id, cron: schedule.cron })

    session.flash('success', `Schedule ${schedule.name} saved.`)
    return response.redirect().toPath('/schedules')
  }

  /** Enables or disables a schedule; a re-enabled schedule does not catch up what it skipped. */
  async toggle(ctx: HttpContext) {
    const { params, response, session } = ctx
    const schedule = await Schedule.findOrFail(params.id)
    schedule.enabled = !schedule.enabled
    if (schedule.enabled) {
      schedule.lastSlotAt = DateTime.now()
    }
    await schedule.save()
    await audit.record(ctx, 'schedule.toggled', {
      scheduleId: schedule.id,
      enabled: schedule.enabled,
    })

    session.flash(
      'success',
      `Schedule ${schedule.name} ${schedule.enabled ? 'enabled' : 'disabled'}.`
    )
    return response.redirect().toPath('/schedules')
  }

  async destroy(ctx: HttpContext) {
    const { params, response, session } = ctx
    const schedule = await Schedule.findOrFail(params.id)
    await schedule.delete()
    await audit.record(ctx, 'schedule.deleted', { scheduleId: schedule.id })

    session.flash('success', `Schedule ${schedule.name} removed. Its snapshots stay.`)
    return response.redirect().toPath('/schedules')
  }
}

async function scopeExists(scopeType: string, scopeId: string) {
  if (scopeType === 'resource') {
    return Boolean(await Resource.find(scopeId))
  }
  return scopeType === 'server'
    ? Boolean(await Server.find(scopeId))
    : Boolean(await Instance.find(scopeId))
}

function scopeLabel(
  schedule: Schedule,
  lists: { resources: Resource[]; servers: Server[]; instances: Instance[] }
) {
  if (schedule.scopeType === 'resource') {
    return `resource ${lists.resources.find((entry) => entry.id === schedule.scopeId)?.name ?? '(missing)'}`
  }
  if (schedule.scopeType === 'server') {
    return `server ${lists.servers.find((entry) => entry.id === schedule.scopeId)?.name ?? '(missing)'}`
  }
  return `instance ${lists.instances.find((entry) => entry.id === schedule.scopeId)?.name ?? '(missing)'}`
}
