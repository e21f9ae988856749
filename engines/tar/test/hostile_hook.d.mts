import type { HostileArtifactsHook } from '@coffer/sdk'

declare const writeHostileArchive: HostileArtifactsHook
export default writeHostileArchive
