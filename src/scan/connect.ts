/**
 * `scan --connect`: the servers of a toolgate config started the way `toolgate lock` starts them
 * (sandboxed as configured), their live definitions scored by the content detector with the other
 * servers' tool names (cross-server shadowing), and tool names shared between them.
 */
import { CONTENT_DEFAULTS } from '../config/content-schema.js';
import type { Config } from '../config/schema.js';
import { createEngine } from '../detect/engine.js';
import { isGatewayError } from '../errors.js';
import { captureServer } from '../gateway/capture.js';
import { screenCaptured, type ScreenInput } from '../pins/screen.js';
import { RULES } from './rule-kit.js';
import { sharedToolNames } from './rules.js';
import { pointerOf, type Finding } from './types.js';

/** What the detector flags in the live definitions, and the tool names servers share. Pure. */
const liveFindings = (
  file: string,
  config: Config,
  captured: ReadonlyMap<string, ScreenInput>,
): Finding[] => {
  const detect = (config.content ?? CONTENT_DEFAULTS).detect;
  const engine = createEngine({ warnAt: detect.warnAt, blockAt: detect.blockAt });
  const toolNames = new Map(
    [...captured].map(([id, c]) => [
      id,
      Object.fromEntries(
        Object.entries(c.items.tools).map(([key, t]) => [
          key,
          typeof t['name'] === 'string' ? t['name'] : key,
        ]),
      ),
    ]),
  );
  const findings: Finding[] = [];
  for (const [id, c] of captured) {
    const foreign = new Set(
      [...toolNames].filter(([other]) => other !== id).flatMap(([, t]) => Object.values(t)),
    );
    for (const f of screenCaptured(engine, id, c, foreign, 'block'))
      findings.push({
        rule: 'poisoned-definition',
        severity: f.action === 'block' ? 'high' : 'medium',
        server: id,
        location: { file, pointer: pointerOf('servers', id) },
        message: `live ${f.item} scored ${f.score} by the content detector (${f.action}): ${f.reasons
          .map((r) => `${r.rule}: ${JSON.stringify(r.span.slice(0, 80))}`)
          .join('; ')}`,
        fix: 'review the definition; keep content.detect on (the gateway hides it), or drop the server',
      });
  }
  const shared = sharedToolNames({ file, servers: Object.fromEntries(toolNames) });
  return [...findings, ...shared.map((f) => ({ ...f, message: `live: ${f.message}` }))];
};

/** Starts each server in turn (never two at once) and scores what they list; a failed start is a finding. */
export const connectAndScan = async (
  file: string,
  config: Config,
  onStderr: (server: string, line: string) => void,
): Promise<Finding[]> => {
  const captured = new Map<string, ScreenInput>();
  const failed: Finding[] = [];
  for (const id of Object.keys(config.servers)) {
    try {
      captured.set(id, await captureServer(config, id, (line) => onStderr(id, line)));
    } catch (error) {
      failed.push({
        rule: 'server-not-started',
        severity: RULES['server-not-started'].severity,
        server: id,
        location: { file, pointer: pointerOf('servers', id) },
        message: isGatewayError(error)
          ? `${error.code}: ${error.message}`
          : `could not be listed: ${(error as Error).message}`,
        fix: 'run `toolgate lock` for this server to see why it does not start, then scan again',
      });
    }
  }
  return [...failed, ...liveFindings(file, config, captured)];
};
