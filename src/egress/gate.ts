import type { EgressErrorCode } from '../errors.js';
import type { Outbound } from '../core/outbound.js';
import { checkDestination, type Checked, type Resolver } from './destination.js';
import type { CompiledEgress } from './match.js';

export type EgressEvent =
  | { decision: 'allow'; method: string; host: string; port: number; address: string }
  | {
      decision: 'deny';
      method: string;
      host: string;
      port: number;
      code: EgressErrorCode;
      reason: string;
      address?: string;
    };

/** Where the proxy's ways out (plain HTTP, CONNECT) decide and record each destination. */
export interface Gate {
  /** Decides one destination (see `checkDestination`). */
  readonly check: (host: string, port: number) => Promise<Checked>;
  /** Reports a decision and waits until it is recorded; false when it could not be. */
  readonly record: (event: EgressEvent) => Promise<boolean>;
  /** Records a verdict; an allow that could not be recorded becomes an `EGRESS_UNLOGGED` deny. */
  readonly report: (
    method: string,
    host: string,
    port: number,
    verdict: Checked,
  ) => Promise<Checked>;
}

interface GateOptions {
  readonly egress: CompiledEgress;
  readonly resolve: Resolver;
  readonly onEvent: (event: EgressEvent) => Promise<void>;
  readonly outbound: Outbound;
}

export const createGate = ({ egress, resolve, onEvent, outbound }: GateOptions): Gate => {
  const record = async (event: EgressEvent): Promise<boolean> => {
    try {
      await onEvent(event);
    } catch {
      return false;
    }
    return outbound.commit() === undefined; // the entry is in the OS before the connection is made
  };
  const report = async (
    method: string,
    host: string,
    port: number,
    verdict: Checked,
  ): Promise<Checked> => {
    const recorded = await record(
      verdict.ok
        ? { decision: 'allow', method, host, port, address: verdict.address }
        : {
            decision: 'deny',
            method,
            host,
            port,
            code: verdict.code,
            reason: verdict.message,
            ...(verdict.address !== undefined && { address: verdict.address }),
          },
    );
    return recorded || !verdict.ok
      ? verdict
      : {
          ok: false,
          code: 'EGRESS_UNLOGGED',
          message: `the decision for ${host}:${port} could not be recorded in the audit log`,
        };
  };
  return { check: (host, port) => checkDestination(egress, resolve, host, port), record, report };
};
