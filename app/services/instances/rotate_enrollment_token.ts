import { DateTime } from 'luxon'
import type Instance from '#models/instance'
import { generateToken, hashToken } from '#services/tokens'

/**
 * Makes a new enrollment token for an instance and returns it; only its hash is stored, so the
 * token is shown once and revealing it again rotates it. Agents enrolled earlier keep working.
 */
export async function rotateEnrollmentToken(instance: Instance) {
  const token = generateToken('coffer_enroll')
  instance.enrollmentTokenHash = hashToken(token)
  instance.enrollmentTokenRotatedAt = DateTime.now()
  await instance.save()
  return token
}
