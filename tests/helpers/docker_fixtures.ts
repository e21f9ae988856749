import Docker from 'dockerode'
import { serviceEnv } from '#tests/smoke/service_env'

/** A Docker client on the test daemon started by scripts/services/docker.sh. */
export function testDocker() {
  const { DOCKER_SOCKET } = serviceEnv('docker', ['DOCKER_SOCKET', 'COFFER_TEST_IMAGE'])
  return new Docker({ socketPath: DOCKER_SOCKET })
}

/** The busybox image imported by the docker service. */
export function testImage() {
  return serviceEnv('docker', ['COFFER_TEST_IMAGE']).COFFER_TEST_IMAGE
}

/**
 * Starts a container without network that mounts `volume` at /data, fills it with a few files
 * (once, marked by /data/.seeded) and then appends a line to /data/log.txt every 100 ms.
 */
export async function startWriterContainer(docker: Docker, name: string, volume: string) {
  // The seed runs once: after a restore restarts the container, only the writer loop runs.
  const seed = [
    'mkdir -p /data/docs/nested',
    'echo "hello from coffer" > /data/docs/hello.txt',
    'echo "second file" > /data/docs/nested/second.txt',
    'dd if=/dev/urandom of=/data/random.bin bs=1024 count=512 2>/dev/null',
    'chmod 0640 /data/docs/hello.txt',
    'ln -sf docs/hello.txt /data/link-to-hello',
    'touch /data/.seeded',
  ].join(' && ')
  const script = `[ -f /data/.seeded ] || (${seed}); i=0; while true; do echo "line $i" >> /data/log.txt; i=$((i+1)); sleep 0.1; done`

  const container = await docker.createContainer({
    name,
    Image: testImage(),
    Cmd: ['sh', '-c', script],
    HostConfig: { NetworkMode: 'none', Binds: [`${volume}:/data`] },
    Labels: { 'coffer.test': 'e2e' },
  })
  await container.start()
  return container
}

/** Removes the containers and volumes a test made, ignoring those already gone. */
export async function removeDockerObjects(docker: Docker, containers: string[], volumes: string[]) {
  for (const name of containers) {
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => {})
  }
  for (const name of volumes) {
    await docker
      .getVolume(name)
      .remove({ force: true })
      .catch(() => {})
  }
}
