import type { HttpContext } from '@adonisjs/core/http'
import env from '#start/env'
import { controllerUrl } from '#services/instances/install_command'

/** Serves the agent install script used by the one-line install command. */
export default class InstallScriptController {
  async show({ request, response, view }: HttpContext) {
    const script = await view.render('scripts/install_sh', {
      controllerUrl: controllerUrl(`${request.protocol()}://${request.host()}`),
      image: env.get('COFFER_AGENT_IMAGE', 'coffer/agent:latest'),
    })
    response.header('content-type', 'text/x-shellscript; charset=utf-8')
    return script
  }
}
