import type { Message } from './interceptor.js';

/** One reason of a verdict: the rule id and the text it matched (normalised, shortened). */
export interface Reason {
  readonly rule: string;
  readonly span: string;
}

/** What a content defense did to one message or item; the gateway logs it (and audit records it). */
export interface ContentEvent {
  readonly kind: 'content';
  readonly defense: 'output' | 'sanitize' | 'detect' | 'secrets' | 'shadowing';
  readonly action: 'warn' | 'block' | 'hide' | 'strip' | 'redact';
  readonly server: string;
  readonly method: string;
  /** The definition concerned (`tool:name`, `prompt:name`, `resource:uri`), for list items. */
  readonly item?: string;
  readonly reasons: readonly Reason[];
}

/** Takes a verdict, with the message it was about when there is one (audit appends it before that message's next effect). */
export type ContentEventSink = (event: ContentEvent, message?: Message) => void;

export const LIST_FIELDS: Readonly<
  Record<string, { field: string; key: 'name' | 'uri' | 'uriTemplate'; prefix: string }>
> = {
  'tools/list': { field: 'tools', key: 'name', prefix: 'tool' },
  'prompts/list': { field: 'prompts', key: 'name', prefix: 'prompt' },
  'resources/list': { field: 'resources', key: 'uri', prefix: 'resource' },
  'resources/templates/list': {
    field: 'resourceTemplates',
    key: 'uriTemplate',
    prefix: 'template',
  },
};

/** `tool:echo`, `prompt:greet`, …: the id of a definition in events and the hidden set. */
export const itemId = (method: string, item: Record<string, unknown>): string | undefined => {
  const kind = LIST_FIELDS[method];
  const key = kind && item[kind.key];
  return kind && typeof key === 'string' ? `${kind.prefix}:${key}` : undefined;
};
