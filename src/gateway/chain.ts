import { compileAllowlist } from '../allowlist/compile.js';
import { enforceAllowlist } from '../allowlist/interceptor.js';
import type { AuditInterceptors } from '../audit/interceptor.js';
import { CONTENT_DEFAULTS } from '../config/content-schema.js';
import type { Config } from '../config/schema.js';
import type { ContentEvent } from '../core/content-event.js';
import { compose, type Interceptor, type Message, type Next } from '../core/interceptor.js';
import { createEngine } from '../detect/engine.js';
import { detectInjection } from '../detect/interceptor.js';
import { validateOutput } from '../output/interceptor.js';
import { authorize, type AuthzDeps, type AuthzEvent } from '../authz/interceptor.js';
import { verifyPins, type PinEvent } from '../pins/interceptor.js';
import type { Lock } from '../pins/lock.js';
import { sanitizeText } from '../sanitize/interceptor.js';
import { redactSecrets } from '../secrets/interceptor.js';
import type { SecretSource } from '../secrets/registry.js';
import { createSecretScanner } from '../secrets/scan.js';

/** What the chain is built from besides the config; the composition root (`create-gateway.ts`) supplies it. */
export interface ChainParts {
  /** The lock to enforce; without one (`--no-lock`, `lock.required: false`) pins are off. */
  readonly lock: Lock | undefined;
  /** The audit pair (audit/), when the config has an `audit:` section. */
  readonly audit: AuditInterceptors | undefined;
  /** Secret values the content scanner catches: configured ones, and each server's credentials as resolved. */
  readonly secrets: SecretSource;
  /**
   * Takes the verdicts the defenses raise about the message they handle. Synchronous on purpose: the
   * audit notes a verdict on its message (`Message.audit`) and writes it ahead of that message's next
   * effect, so no promise has to travel back through a defense (and `no-misused-promises` refuses an
   * async sink here).
   */
  readonly note: (event: PinEvent | ContentEvent | AuthzEvent, message?: Message) => void;
  /** Agent authorization's state and helpers (authz/): policy, flow ledger, approver, rate buckets. */
  readonly authz: Omit<AuthzDeps, 'config' | 'emit'>;
}

/**
 * THE chain: every message to or from an upstream passes these defenses, top to bottom, outermost
 * first (see docs/architecture.md). Requests travel down it; results travel back up, so a result is
 * validated against its contract on the raw bytes, scored by the detector (which sees hidden
 * characters and secrets as signals), then stripped of hidden characters, then redacted.
 */
export const createChain = (config: Config, parts: ChainParts): readonly Interceptor[] => {
  const { audit, lock, note } = parts;
  const content = config.content ?? CONTENT_DEFAULTS;
  const { detect } = content;
  return [
    ...(audit ? [audit.recordOutcome] : []), // audit: outermost, records every denial, error and result
    enforceAllowlist(compileAllowlist(config)), // allowlist: per server, deny by default
    ...(lock ? [verifyPins(lock, note)] : []), // pins: live definitions against toolgate.lock
    authorize({ ...parts.authz, config, emit: note }), // policy and flows: who may call what, approval, rate limits
    redactSecrets(createSecretScanner(parts.secrets, content.secrets.formats), note), // secrets
    sanitizeText(content.sanitize.mode, note), // sanitize: hidden characters
    ...(detect.enabled ? [detectInjection(engineOf(detect), detect, note, toolsOf(config))] : []), // detect
    validateOutput(content.output, note), // output: size and shape contracts
    ...(audit ? [audit.recordForward] : []), // audit: innermost, records what passed before it is forwarded
  ];
};

/** The callable pipeline: the chain around the terminal that talks to upstreams or the client. */
export const createPipeline = (config: Config, terminal: Next, parts: ChainParts): Next =>
  compose(createChain(config, parts), terminal);

/** The detection engine with the config's thresholds. */
export const engineOf = (detect: { readonly warnAt: number; readonly blockAt: number }) =>
  createEngine({ warnAt: detect.warnAt, blockAt: detect.blockAt });

/** Each server's exactly allowed tool names: the detector knows them before any list (shadowing). */
const toolsOf = (config: Config): ReadonlyMap<string, readonly string[]> =>
  new Map(Object.entries(config.servers).map(([id, s]) => [id, s.tools.filter((t) => t !== '*')]));
