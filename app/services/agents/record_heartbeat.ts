import { DateTime } from 'luxon'
import logger from '@adonisjs/core/services/logger'
import Engine from '#models/engine'
import type Agent from '#models/agent'
import type { Inventory } from '#models/agent'
import Job from '#models/job'
import Instance from '#models/instance'
import { syncDockerResources } from '#services/agents/sync_docker_resources'
import { mapCoolifyContainers } from '#services/coolify/map_coolify_containers'

/** A heartbeat as the agent sends it. */
export interface Heartbeat {
  agentVersion: string
  dockerVersion?: string | null
  concurrency: number
  runningJobs: string[]
  inventory: Inventory
  rejectedEngines?: { digest: string; reason: string; code?: string }[]
}

/**
 * Records a heartbeat: versions, capacity and the host's inventory; refreshes the resources of a
 * plain Docker host; notes engine bundles the agent refused. Returns the ids of the agent's jobs
 * whose cancellation was requested.
 */
export async function recordHeartbeat(agent: Agent, heartbeat: Heartbeat) {
  agent.merge({
    agentVersion: heartbeat.agentVersion,
    dockerVersion: heartbeat.dockerVersion ?? null,
    concurrency: heartbeat.concurrency,
    inventory: heartbeat.inventory,
    lastSeenAt: DateTime.now(),
  })
  await agent.save()

  const instance = await Instance.findOrFail(agent.instanceId)
  if (instance.kind === 'docker' && agent.serverId) {
    await syncDockerResources(agent.instanceId, agent.serverId, heartbeat.inventory)
  }
  if (instance.kind === 'coolify') {
    await mapCoolifyContainers(agent, heartbeat.inventory)
  }

  for (const rejected of heartbeat.rejectedEngines ?? []) {
    await recordRejectedEngine(agent, rejected)
  }

  const cancelled = await Job.query()
    .where('leased_by', agent.id)
    .whereIn('status', ['leased', 'running'])
    .whereNotNull('cancel_requested_at')
    .select('id')

  return cancelled.map((job) => job.id)
}

/**
 * Records an agent's refusal of a bundle, once per agent and reason. The bundle stays shippable
 * to other agents: a refusal means that this host does not trust it.
 */
async function recordRejectedEngine(
  agent: Agent,
  rejected: { digest: string; reason: string; code?: string }
) {
  const engine = await Engine.findBy('digest', rejected.digest)
  if (!engine) {
    return
  }

  const refusals = engine.agentRefusals ?? []
  const known = refusals.some(
    (refusal) => refusal.agentId === agent.id && refusal.code === (rejected.code ?? null)
  )
  if (known) {
    return
  }

  engine.agentRefusals = [
    ...refusals.filter((refusal) => refusal.agentId !== agent.id),
    {
      agentId: agent.id,
      hostname: agent.hostname,
      code: rejected.code ?? null,
      reason: rejected.reason.slice(0, 2000),
      at: new Date().toISOString(),
    },
  ]
  await engine.save()
  logger.warn(
    { agentId: agent.id, digest: rejected.digest, code: rejected.code },
    'agent refused an engine bundle'
  )
}
