import vine from '@vinejs/vine'

/** Docker's rule for volume names: a letter or digit, then letters, digits, `_`, `.` or `-`. */
export const DOCKER_VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/

/** The path of one file or folder to download from a snapshot. */
export const extractValidator = vine.create({
  path: vine.string().trim().minLength(1).maxLength(4096),
})

/**
 * A restore: in place, confirmed by typing the volume's name, or into a new volume whose name
 * Docker accepts.
 */
export const restoreValidator = vine.create({
  target: vine.enum(['in-place', 'new-volume']).optional(),
  confirm: vine.string().trim().optional(),
  newVolume: vine
    .string()
    .trim()
    .maxLength(255)
    .regex(DOCKER_VOLUME_NAME)
    .optional()
    .requiredWhen('target', '=', 'new-volume'),
})
