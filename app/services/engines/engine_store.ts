import { join } from 'node:path'
import app from '@adonisjs/core/services/app'
import type Engine from '#models/engine'

/** Folder where the controller keeps a copy of every engine bundle it registered. */
export function engineStorePath() {
  return app.tmpPath('engines')
}

/** Absolute path of a registered engine's bundle file. */
export function bundleFilePath(engine: Engine) {
  return join(engineStorePath(), engine.bundlePath)
}
