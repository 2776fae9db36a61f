import type { Config } from '../config/schema.js';
import { validateOutput } from '../output/interceptor.js';
import type { Interceptor } from '../core/interceptor.js';
import { sanitizeText } from '../sanitize/interceptor.js';
import { redactSecrets } from '../secrets/interceptor.js';
import { SecretRegistry } from '../secrets/registry.js';
import { createSecretScanner } from '../secrets/scan.js';
import { createEngine } from '../detect/engine.js';
import type { ContentEventSink } from '../core/content-event.js';
import { checkInstructions, type SelfDescription } from '../detect/instructions.js';
import { detectInjection } from '../detect/interceptor.js';
import { CONTENT_DEFAULTS } from '../config/content-schema.js';

/**
 * The content defenses in chain order, outermost first. Results travel back inner to outer:
 * validated against their contract on the raw bytes, scored by the detector (which sees hidden
 * characters and secrets as signals), then stripped of hidden characters, then redacted.
 * `env` is the gateway environment the configured secret variables are read from (the edge);
 * `secrets` also receives every server's own credentials as its upstream resolves them.
 */
export const createContentDefenses = (
  config: Config,
  emit: ContentEventSink = () => undefined,
  env: NodeJS.ProcessEnv = process.env,
  secrets: SecretRegistry = new SecretRegistry(),
): Interceptor[] => {
  const content = config.content ?? CONTENT_DEFAULTS;
  secrets.add(
    'config',
    content.secrets.env.map((name) => env[name]).filter((v): v is string => typeof v === 'string'),
  );
  const knownTools = new Map(
    Object.entries(config.servers).map(([id, s]) => [id, s.tools.filter((t) => t !== '*')]),
  );
  return [
    redactSecrets(createSecretScanner(secrets, content.secrets.formats), emit),
    sanitizeText(content.sanitize.mode, emit),
    ...(content.detect.enabled
      ? [
          detectInjection(
            createEngine({ warnAt: content.detect.warnAt, blockAt: content.detect.blockAt }),
            content.detect,
            emit,
            knownTools,
          ),
        ]
      : []),
    validateOutput(content.output, emit),
  ];
};

/** The check of every upstream's `initialize` (instructions, serverInfo), run at each (re)start; a throw refuses the server. */
export const createInstructionsCheck = (
  config: Config,
  emit: ContentEventSink = () => undefined,
): ((server: string, init: SelfDescription) => void) => {
  const detect = (config.content ?? CONTENT_DEFAULTS).detect;
  if (!detect.enabled) return () => undefined;
  return checkInstructions(
    createEngine({ warnAt: detect.warnAt, blockAt: detect.blockAt }),
    detect.instructions,
    emit,
  );
};
