import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import vine from '@vinejs/vine'
import Agent from '#models/agent'
import Job from '#models/job'
import Server from '#models/server'
import Instance from '#models/instance'
import logger from '@adonisjs/core/services/logger'

const serverValidator = vine.create({
  serverId: vine.string().uuid().nullable().optional(),
})

/** The agents page: status, versions, running jobs, revocation and server assignment. */
export default class AgentsController {
  async index({ view }: HttpContext) {
    const agents = await Agent.query().preload('server').orderBy('hostname')
    const instanceNames = await this.instanceNames()
    const running = await Job.query().whereIn('status', ['leased', 'running']).select('leased_by')
    const runningByAgent = new Map<string, number>()
    for (const job of running) {
      runningByAgent.set(job.leasedBy!, (runningByAgent.get(job.leasedBy!) ?? 0) + 1)
    }
    return view.render('pages/agents/index', { agents, runningByAgent, instanceNames })
  }

  async show({ params, view }: HttpContext) {
    const agent = await Agent.query().where('id', params.id).preload('server').firstOrFail()
    const instance = await Instance.findOrFail(agent.instanceId)
    const servers = await Server.query().where('instance_id', agent.instanceId).orderBy('name')
    const jobs = await Job.query()
      .where('leased_by', agent.id)
      .orderBy('created_at', 'desc')
      .limit(20)
    return view.render('pages/agents/show', { agent, instance, servers, jobs })
  }

  private async instanceNames() {
    const instances = await Instance.all()
    return new Map(instances.map((instance) => [instance.id, instance.name]))
  }

  /** Invalidates the agent's token at once; its running jobs fail when their leases expire. */
  async revoke({ params, response, session }: HttpContext) {
    const agent = await Agent.findOrFail(params.id)
    agent.revokedAt = DateTime.now()
    await agent.save()
    logger.info({ agentId: agent.id }, 'agent revoked')

    session.flash('success', `Agent ${agent.hostname} revoked: its token no longer works.`)
    return response.redirect().toPath(`/agents/${agent.id}`)
  }

  /** Pins the agent to a server chosen by an admin, or returns it to automatic detection. */
  async assignServer({ params, request, response, session }: HttpContext) {
    const agent = await Agent.findOrFail(params.id)
    const { serverId } = await request.validateUsing(serverValidator)

    if (serverId) {
      await Server.query()
        .where('id', serverId)
        .where('instance_id', agent.instanceId)
        .firstOrFail()
    }
    agent.serverId = serverId ?? agent.serverId
    agent.serverPinned = Boolean(serverId)
    await agent.save()

    session.flash(
      'success',
      serverId ? 'Server assigned.' : 'The server is detected automatically again.'
    )
    return response.redirect().toPath(`/agents/${agent.id}`)
  }
}
