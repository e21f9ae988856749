import Instance from '#models/instance'
import { rotateEnrollmentToken } from '#services/instances/rotate_enrollment_token'
import { enrollAgent } from '#services/agents/enroll_agent'
import type { Inventory } from '#models/agent'

/** Creates a plain Docker instance and returns it with a fresh enrollment token. */
export async function createDockerInstance(name = 'lab') {
  const instance = await Instance.create({ name, kind: 'docker' })
  const enrollmentToken = await rotateEnrollmentToken(instance)
  return { instance, enrollmentToken }
}

/** Enrolls an agent on a new Docker instance and returns it with its bearer token. */
export async function createEnrolledAgent(hostname = 'host-1') {
  const { instance, enrollmentToken } = await createDockerInstance()
  const { agent, token } = await enrollAgent({ enrollmentToken, hostname, agentVersion: '0.1.0' })
  return { instance, agent, token }
}

/** An inventory with one container that mounts one named volume read-write. */
export function sampleInventory(volume = 'app-data'): Inventory {
  return {
    containers: [
      {
        id: 'c1',
        name: 'app',
        image: 'busybox',
        state: 'running',
        labels: {},
        mounts: [{ type: 'volume', name: volume, destination: '/data', readWrite: true }],
      },
    ],
    volumes: [
      {
        name: volume,
        driver: 'local',
        mountpoint: `/var/lib/docker/volumes/${volume}/_data`,
        labels: {},
      },
    ],
  }
}
