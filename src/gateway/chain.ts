import { compileAllowlist } from '../allowlist/compile.js';
import { enforceAllowlist } from '../allowlist/interceptor.js';
import type { AuditInterceptors } from '../audit/interceptor.js';
import type { Config } from '../config/schema.js';
import { createContentDefenses } from './defenses.js';
import type { ContentEventSink } from '../core/content-event.js';
import { verifyPins, type PinEvent } from '../pins/interceptor.js';
import { authorize, type AuthzDeps } from '../authz/interceptor.js';
import type { Lock } from '../pins/lock.js';
import type { SecretRegistry } from '../secrets/registry.js';
import { compose, type Interceptor, type Message, type Next } from '../core/interceptor.js';

/**
 * THE chain: every message to or from an upstream passes these defenses, top to bottom, outermost
 * first. Later defenses plug in here, in the order of the mission list (see docs/architecture.md):
 * audit (outermost, so denials are logged), allowlist, pins, sandbox-aware limits, content checks,
 * authorization and flow rules.
 */
export interface ChainOptions {
  /** The lock to enforce; without one (`--no-lock`, `lock.required: false`) pins are off. */
  readonly lock?: Lock | undefined;
  readonly onPinEvent?: (event: PinEvent, message?: Message) => void;
  /** The audit pair (audit/), when the config has an `audit:` section. */
  readonly audit?: AuditInterceptors | undefined;
  readonly onContentEvent?: ContentEventSink;
  /** Secret values the content scanner catches: configured ones, and each server's credentials as resolved. */
  readonly secrets?: SecretRegistry | undefined;
  /** Agent authorization: Cedar policy, flow rules, approval, rate limits (authz/). */
  readonly authz?: Omit<AuthzDeps, 'config'> | undefined;
}

export const createChain = (config: Config, options: ChainOptions = {}): readonly Interceptor[] => [
  ...(options.audit ? [options.audit.recordOutcome] : []), // 0. audit: outermost, records every denial, error and result
  enforceAllowlist(compileAllowlist(config)), // 1. static allowlist per server, deny by default
  ...(options.lock ? [verifyPins(options.lock, options.onPinEvent)] : []), // 2. live definitions vs toolgate.lock
  ...(options.authz ? [authorize({ ...options.authz, config })] : []), // 3. who may call what: Cedar, flow rules, approval, rate limits
  ...createContentDefenses(config, options.onContentEvent, process.env, options.secrets), // 3. content: secrets, hidden text, injection, output contracts
  ...(options.audit ? [options.audit.recordForward] : []), // last: audit records what passed, before it is forwarded
];

/** Builds the callable pipeline: the chain around the terminal that talks to upstreams or the client. */
export const createPipeline = (config: Config, terminal: Next, options: ChainOptions = {}): Next =>
  compose(createChain(config, options), terminal);
