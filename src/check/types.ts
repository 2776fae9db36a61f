import type { Config } from '../config/schema.js';
import type { AdvisoryGate } from '../packages/advisory-gate.js';
import type { Lock } from '../pins/lock.js';

/** One checklist verdict: pass, warn (works, weaker than it could be, or not provided), fail. */
export type Verdict = 'pass' | 'warn' | 'fail';

/** The seed's 12-point checklist, in its order. */
export const CHECK_ITEMS = [
  ['allowlisting', 'Allowlisting'],
  ['signature-verification', 'Signature verification'],
  ['sandboxing', 'Sandboxing'],
  ['resource-limits', 'Resource limits'],
  ['credential-scoping', 'Credential scoping'],
  ['network-isolation', 'Network isolation'],
  ['output-validation', 'Output validation'],
  ['audit-logging', 'Audit logging'],
  ['sbom-dependency-scanning', 'SBOM / dependency scanning'],
  ['update-policy', 'Update policy'],
  ['access-control', 'Access control'],
  ['red-team-testing', 'Red-team testing'],
] as const;

export type CheckItemId = (typeof CHECK_ITEMS)[number][0];

export interface CheckResult {
  readonly id: CheckItemId;
  readonly title: string;
  readonly verdict: Verdict;
  /** What was found in the config, the lock and the environment, one line per fact. */
  readonly evidence: readonly string[];
  /** A concrete config snippet or command; absent on pass. */
  readonly fix?: string;
}

/** The lock as found beside the config. */
export type LockState =
  | { readonly kind: 'absent'; readonly path: string }
  | { readonly kind: 'invalid'; readonly path: string; readonly error: string }
  | { readonly kind: 'present'; readonly path: string; readonly lock: Lock };

/** What the host can do, probed at the edge (check/probe.ts) so scoring stays pure. */
export interface EnvironmentProbe {
  /** Whether bubblewrap is present and can create user namespaces here; the reason and its fix if not. */
  readonly sandbox:
    { readonly ok: true; readonly bwrap: string } | { readonly ok: false; readonly reason: string };
  /** Absent when the audit log is off. */
  readonly audit?: {
    /** File mode bits (e.g. 0o600) of the signing key; undefined: not created yet. */
    readonly keyFile: { readonly path: string; readonly mode: number | undefined };
    readonly store: { readonly path: string; readonly writable: boolean; readonly reason?: string };
  };
}

/** The last `toolgate redteam --format json` report kept beside the config, as found. */
export type RedteamState =
  | { readonly kind: 'absent'; readonly path: string }
  | { readonly kind: 'invalid'; readonly path: string; readonly error: string }
  | {
      readonly kind: 'present';
      readonly path: string;
      /** When the run was made (`generatedAt`); undefined for a report written before it existed. */
      readonly generatedAt: Date | undefined;
      /** Whether the report's `configSha256` is the digest of the config file as it is now. */
      readonly sameConfig: boolean;
      readonly blocked: number;
      /** The ids of the attacks that got through. */
      readonly notBlocked: readonly string[];
    };

/** The start policy on advisories as a start would find it (check/probe-advisories.ts). */
export type AdvisoryState =
  | { readonly kind: 'off' }
  | { readonly kind: 'unchecked'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly error: string }
  | { readonly kind: 'present'; readonly gate: AdvisoryGate };

export interface CheckInput {
  readonly config: Config;
  /** The config file as given on the command line, used in the suggested commands. */
  readonly configPath: string;
  readonly lock: LockState;
  readonly environment: EnvironmentProbe;
  readonly redteam: RedteamState;
  readonly advisories: AdvisoryState;
  /** The time the check runs, against which a red-team report's age is measured. */
  readonly now: Date;
}
