import type { AgentsConfig } from '../config/authz-schema.js';
import type { Principal } from '../core/principal.js';

/** The stdio front's agent: the one the config marks `stdio: true`, else `stdio` with no groups. */
export const stdioPrincipal = (agents: AgentsConfig): Principal => {
  const entry = Object.entries(agents).find(([, agent]) => agent.stdio);
  return entry
    ? { id: entry[0], transport: 'stdio', groups: entry[1].groups }
    : { id: 'stdio', transport: 'stdio', groups: [] };
};

/** An HTTP agent: its configured groups joined with those its credential carries. */
export const httpPrincipal = (
  agents: AgentsConfig,
  id: string,
  credentialGroups: readonly string[] = [],
): Principal => ({
  id,
  transport: 'http',
  groups: [...new Set([...(agents[id]?.groups ?? []), ...credentialGroups])],
});
