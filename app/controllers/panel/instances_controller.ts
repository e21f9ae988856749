import type { HttpContext } from '@adonisjs/core/http'
import Instance from '#models/instance'
import Agent from '#models/agent'
import Resource from '#models/resource'
import { instanceValidator } from '#validators/instance'
import { rotateEnrollmentToken } from '#services/instances/rotate_enrollment_token'
import {
  controllerUrl,
  installCommand,
  localAgentCommand,
} from '#services/instances/install_command'
import { writeCoolifyToken } from '#services/instances/coolify_token'
import audit from '#services/audit'
import PublisherKey from '#models/publisher_key'
import { LOCAL_PUBLISHER_KEY_NAME } from '#services/engines/sign_workspace_engines'

/** Instances: Coolify instances and plain Docker hosts, and their enrollment tokens. */
export default class InstancesController {
  async index({ view }: HttpContext) {
    const instances = await Instance.query().orderBy('name')
    return view.render('pages/instances/index', { instances })
  }

  async create({ view }: HttpContext) {
    return view.render('pages/instances/create')
  }

  async store({ request, response, session }: HttpContext) {
    const input = await request.validateUsing(instanceValidator)

    const instance = new Instance()
    instance.fill({
      name: input.name,
      kind: input.kind,
      coolifyUrl: input.kind === 'coolify' ? (input.coolifyUrl ?? null) : null,
    })
    await instance.save()
    if (input.kind === 'coolify' && input.coolifyToken) {
      writeCoolifyToken(instance, input.coolifyToken)
      await instance.save()
    }

    session.flash(
      'success',
      `Instance ${instance.name} created. Reveal its install command to add an agent.`
    )
    return response.redirect().toPath(`/instances/${instance.id}`)
  }

  async show({ params, view }: HttpContext) {
    const instance = await Instance.findOrFail(params.id)
    const agents = await Agent.query().where('instance_id', instance.id).orderBy('hostname')
    const resources = await Resource.query().where('instance_id', instance.id).orderBy('name')
    return view.render('pages/instances/show', { instance, agents, resources })
  }

  /** Shows a new enrollment token once, inside the install command; the old one stops working. */
  async revealToken(ctx: HttpContext) {
    const { params, request, view } = ctx
    const instance = await Instance.findOrFail(params.id)
    const token = await rotateEnrollmentToken(instance)
    await audit.record(ctx, 'enrollment_token.revealed', { instanceId: instance.id })

    const baseUrl = controllerUrl(`${request.protocol()}://${request.host()}`)
    const localKey = await PublisherKey.findBy('name', LOCAL_PUBLISHER_KEY_NAME)
    return view.render('pages/instances/token', {
      instance,
      command: installCommand(baseUrl, token),
      localCommand: localAgentCommand(baseUrl, token, localKey?.publicKey),
    })
  }

  async destroy({ params, response, session }: HttpContext) {
    const instance = await Instance.findOrFail(params.id)
    const resources = await Resource.query().where('instance_id', instance.id).count('* as total')
    if (Number(resources[0].$extras.total) > 0) {
      session.flash(
        'error',
        `Instance ${instance.name} still has resources with backup history; it cannot be removed. Revoke its agents instead.`
      )
      return response.redirect().back()
    }

    await instance.delete()
    session.flash('success', `Instance ${instance.name} removed.`)
    return response.redirect().toPath('/instances')
  }
}
