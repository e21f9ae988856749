import type { HttpContext } from '@adonisjs/core/http'
import Engine from '#models/engine'
import { bundleFilePath } from '#services/engines/engine_store'

/** Serves accepted engine bundles and their signatures to agents. */
export default class EnginesController {
  async bundle({ params, response }: HttpContext) {
    const engine = await this.findAccepted(params.digest)
    if (!engine) {
      return response.notFound(this.notFound(params.digest))
    }

    response.header('content-type', 'application/octet-stream')
    return response.download(bundleFilePath(engine))
  }

  async signature({ params, response }: HttpContext) {
    const engine = await this.findAccepted(params.digest)
    if (!engine) {
      return response.notFound(this.notFound(params.digest))
    }
    return engine.signature
  }

  private findAccepted(digest: string) {
    return Engine.query().where('digest', String(digest)).where('status', 'accepted').first()
  }

  private notFound(digest: string) {
    return {
      error: {
        code: 'ENGINE_NOT_FOUND',
        message: `No accepted engine bundle has digest ${digest}. It was removed or rejected; the controller lists its engines on the Engines page.`,
      },
    }
  }
}
