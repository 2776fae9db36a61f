import type { ItemKind as AllowKind } from '../allowlist/compile.js';
import type { Captured } from '../pins/diff.js';
import type { ItemKind } from '../pins/hash.js';

/** What the agent would see of one item, or why it is hidden, with the code the gateway uses for it. */
export type HiddenCode =
  | 'POLICY_TOOL_DENIED'
  | 'POLICY_PROMPT_DENIED'
  | 'POLICY_RESOURCE_DENIED'
  | 'PIN_MISSING'
  | 'LOCK_SERVER_MISSING'
  | 'DETECT_POISONED_DEFINITION'
  | 'PIN_HASH_MISMATCH'
  | 'DETECT_POISONED_INSTRUCTIONS';

/** With `--live`: what a server lists now (as `toolgate lock` captures it), or why it could not be started. */
export type LiveServer =
  | { readonly captured: Captured }
  | { readonly error: { readonly code: string; readonly message: string } };

export type ListedKind = 'tool' | 'prompt' | 'resource' | 'resourceTemplate' | 'server';

export interface ListedItem {
  readonly server: string;
  readonly kind: ListedKind;
  /** The name (or URI, URI template) as the server lists it. Server-chosen: print it through `printable`. */
  readonly name: string;
  /** The name the agent sees: namespaced as the gateway publishes it. */
  readonly publicName: string;
  readonly description: string;
  readonly verdict: 'visible' | 'hidden';
  /** A {@link HiddenCode}; with `--live`, a server that failed to start carries its start error's code. */
  readonly code?: string;
  readonly reason?: string;
  /** A visible item the detector warns about (it still passes, with a content event). */
  readonly warning?: string;
}

/** An allowlist entry that matches no item the lock holds: a typo, or an item the server added since. */
export interface ListingWarning {
  readonly server: string;
  readonly list: 'tools' | 'prompts' | 'resources';
  readonly entry: string;
  readonly message: string;
}

export interface Listing {
  readonly items: readonly ListedItem[];
  readonly warnings: readonly ListingWarning[];
}

export const KIND: Record<
  ItemKind,
  { listed: ListedKind; allow: AllowKind; list: ListingWarning['list']; uri: boolean }
> = {
  tools: { listed: 'tool', allow: 'tool', list: 'tools', uri: false },
  prompts: { listed: 'prompt', allow: 'prompt', list: 'prompts', uri: false },
  resources: { listed: 'resource', allow: 'resource', list: 'resources', uri: true },
  resourceTemplates: {
    listed: 'resourceTemplate',
    allow: 'resource',
    list: 'resources',
    uri: true,
  },
};

export const DENY_CODE = {
  tool: 'POLICY_TOOL_DENIED',
  prompt: 'POLICY_PROMPT_DENIED',
  resource: 'POLICY_RESOURCE_DENIED',
} as const satisfies Record<AllowKind, HiddenCode>;
