import { DateTime } from 'luxon'
import Destination from '#models/destination'
import Resource from '#models/resource'
import { writeDestinationSecrets } from '#services/destinations/destination_secrets'
import { createEnrolledAgent } from '#tests/helpers/agent_fixtures'
import { registerTestEngine } from '#tests/helpers/engine_fixtures'

/**
 * Sets up what a backup needs: an online agent on a plain Docker host, a resource with one
 * volume on its server, an accepted engine and a local destination with secrets.
 */
export async function createBackupSetup() {
  const { instance, agent, token } = await createEnrolledAgent('host-1')
  agent.lastSeenAt = DateTime.now()
  await agent.save()

  await registerTestEngine()

  const resource = await Resource.create({
    instanceId: instance.id,
    serverId: agent.serverId,
    name: 'app-data',
    kind: 'volume',
    externalKey: `volume:${agent.serverId}:app-data`,
    volumes: [{ type: 'volume', name: 'app-data' }],
    backupEnabled: false,
    liveMode: false,
    hooks: null,
  })

  const destination = new Destination()
  destination.fill({
    id: crypto.randomUUID(),
    name: 'Local',
    kind: 'local',
    config: { kind: 'local', path: '/backups/coffer' },
    engineId: 'test/archive',
    engineOptions: { compression: 'zstd' },
  })
  writeDestinationSecrets(destination, 'secrets', {})
  writeDestinationSecrets(destination, 'engine_secrets', { encryptionKey: 'a2V5LWZvci10ZXN0cw==' })
  await destination.save()

  return { instance, agent, token, resource, destination }
}

/** A complete backup result as an agent reports it. */
export function backupResult(snapshotId: string) {
  return {
    snapshots: [
      {
        volume: 'app-data',
        snapshot: {
          id: snapshotId,
          artifacts: [
            {
              key: `snapshots/${snapshotId}/archive.tar.zst`,
              size: 2048,
              sha256: 'a'.repeat(64),
              role: 'archive',
            },
            {
              key: `snapshots/${snapshotId}/index.json.zst`,
              size: 100,
              sha256: 'b'.repeat(64),
              role: 'index',
            },
          ],
        },
        stats: { files: 3, directories: 1, bytesRead: 5000, bytesStored: 2148 },
        warnings: [],
      },
    ],
  }
}
