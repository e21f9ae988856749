/** Version of this SDK, which the host sends as its agent version when `agentVersion` is not set. */
export const SDK_VERSION = '0.1.0'
