import type { AuditInterceptors } from '../audit/interceptor.js';
import type { ApprovalQueue } from '../authz/queue.js';
import type { CompiledPolicy } from '../authz/policy.js';
import type { Outbound } from '../core/outbound.js';
import type { Lock } from '../pins/lock.js';
import type { SecretRegistry } from '../secrets/registry.js';
import type { UpstreamHooks } from '../upstream/upstream.js';
import type { EventSinks } from './events.js';

/** What a gateway is built with; the composition root (`create-gateway.ts`) supplies it. */
export interface GatewayOptions extends ReloadOptions {
  /** The way out (core/outbound.ts): every transport to an upstream, and every egress proxy, gets it. */
  readonly outbound: Outbound;
  /** The approval queue an operator answers with `toolgate approvals` (used with `approval.queue`). */
  readonly approvals?: ApprovalQueue;
  /** Where events go (operator log, audit log); dropped when absent. */
  readonly events?: EventSinks;
  /** Secret values the content scanner catches; each server's credentials are added as resolved. */
  readonly secrets?: SecretRegistry;
}

/** What a reload replaces besides the config. */
export interface ReloadOptions {
  /** toolgate.lock to enforce (pins/), with its per-start package check and initialize comparison. */
  readonly lock?: Lock | undefined;
  /** The audit pair of the chain (audit/), when the config has an `audit:` section. */
  readonly audit?: AuditInterceptors | undefined;
  /** Compiled Cedar policies (authz/load.ts); without them only flow rules and rate limits apply. */
  readonly policy?: CompiledPolicy | undefined;
  readonly beforeConnect?: UpstreamHooks['beforeConnect'];
  readonly initialized?: UpstreamHooks['initialized'];
}
