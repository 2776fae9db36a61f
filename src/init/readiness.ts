import type { Config } from '../config/schema.js';
import type { Lock } from '../pins/lock.js';

/**
 * What a client wrapped now meets when it starts `toolgate run --config <configPath>`: each reason the
 * gateway would refuse to start or serve nothing, with its code and the command that fixes it, and the
 * secrets read from toolgate's environment (a client starts toolgate with its own, often minimal,
 * environment). `--wrap` prints them, since `init --from CLIENT --wrap` in one step wraps before any
 * lock or review. Empty when the wrapped client will see something. Pure.
 */
export const wrapWarnings = (
  config: Config,
  configPath: string,
  lockPath: string,
  lock: Lock | undefined,
): string[] => {
  const c = JSON.stringify(configPath);
  const warnings: string[] = [];
  if (lock === undefined)
    warnings.push(
      `no lock at ${lockPath}: the client's toolgate refuses to start (LOCK_MISSING) until you run toolgate lock --config ${c}, review the tools, and restart the client`,
    );
  else
    for (const id of Object.keys(config.servers))
      if (lock.servers[id] === undefined)
        warnings.push(
          `server ${id} is not in the lock: toolgate does not start it (LOCK_SERVER_MISSING); run toolgate lock --config ${c} ${id}`,
        );
  const servers = Object.values(config.servers);
  if (servers.every((s) => s.tools.length + s.prompts.length + s.resources.length === 0))
    warnings.push(
      `every allowlist in ${configPath} is empty: the client sees nothing (POLICY_TOOL_DENIED); name each server's tools under tools: (toolgate init --tools --config ${c} lists them), then restart the client`,
    );
  const fromEnv = servers.flatMap((s) =>
    Object.values({
      ...('secrets' in s ? s.secrets : {}),
      ...('secretHeaders' in s ? s.secretHeaders : {}),
    }).flatMap((source) => ('env' in source ? [source.env] : [])),
  );
  if (fromEnv.length > 0)
    warnings.push(
      `secrets read from toolgate's environment (${[...new Set(fromEnv)].join(', ')}): the client starts toolgate with its own environment, a minimal one for a GUI client, so a server whose variable is unset does not start (SECRET_UNAVAILABLE); set them where the client runs, or use { file } or { command } sources`,
    );
  return warnings;
};
