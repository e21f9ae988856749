import vine from '@vinejs/vine'

/** "Back up now". */
export const backupNowValidator = vine.create({
  destinationId: vine.string().uuid(),
})

/** Backup settings of a resource. Hooks are one command per line, run with `sh -c`. */
export const resourceSettingsValidator = vine.create({
  backupEnabled: vine.boolean().optional(),
  liveMode: vine.boolean().optional(),
  hookContainer: vine.string().trim().maxLength(255).optional(),
  preHook: vine.string().trim().maxLength(4000).optional(),
  postHook: vine.string().trim().maxLength(4000).optional(),
})

/** Filters of the resource and snapshot lists. */
export const listFiltersValidator = vine.create({
  resource: vine.string().uuid().optional(),
  destination: vine.string().uuid().optional(),
  status: vine.string().trim().maxLength(32).optional(),
  from: vine.date({ formats: ['YYYY-MM-DD'] }).optional(),
  to: vine.date({ formats: ['YYYY-MM-DD'] }).optional(),
  instance: vine.string().uuid().optional(),
  q: vine.string().trim().maxLength(255).optional(),
})
