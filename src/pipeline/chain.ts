import { compileAllowlist } from '../allowlist/compile.js';
import { enforceAllowlist } from '../allowlist/interceptor.js';
import type { Config } from '../config/schema.js';
import { compose, type Interceptor, type Next } from './interceptor.js';

/**
 * THE chain: every message to or from an upstream passes these defenses, top to bottom, outermost
 * first. Later defenses plug in here, in the order of the mission list (see docs/architecture.md):
 * audit (outermost, so denials are logged), allowlist, pins, sandbox-aware limits, content checks,
 * authorization and flow rules.
 */
export const createChain = (config: Config): readonly Interceptor[] => [
  enforceAllowlist(compileAllowlist(config)), // 1. static allowlist per server, deny by default
];

/** Builds the callable pipeline: the chain around the terminal that talks to upstreams or the client. */
export const createPipeline = (config: Config, terminal: Next): Next => compose(createChain(config), terminal);
