/** The agent's version, sent on enrollment and in every heartbeat. Keep equal to package.json. */
export const AGENT_VERSION = '0.1.0'
