import type { GatewayEvent } from '../gateway/events.js';

/** Gateway events as one JSON line each on stderr (stdout belongs to the MCP stdio front). */
export const logEvent = (event: GatewayEvent): void => {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n');
};
