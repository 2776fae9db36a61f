import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Message, Params } from '../core/interceptor.js';
import type { CedarEntity, CedarRequest, CedarValue, EntityUid } from './policy.js';

/** A tool's annotations as declared by its server (untrusted: see cedar-schema.ts). */
export interface Declared {
  readonly readOnly: boolean;
  readonly destructive: boolean;
  readonly idempotent: boolean;
  readonly openWorld: boolean;
}

/** What a server could declare at worst: used to make sure an annotation never loosens a decision. */
export const WORST: Declared = {
  readOnly: false,
  destructive: true,
  idempotent: false,
  openWorld: true,
};

/** Reads MCP tool annotations into {@link Declared}; absent hints take the MCP spec's defaults. */
export const toDeclared = (annotations: unknown): Declared => {
  const a = (typeof annotations === 'object' && annotations !== null ? annotations : {}) as Record<
    string,
    unknown
  >;
  return {
    readOnly: a['readOnlyHint'] === true,
    destructive: a['destructiveHint'] !== false,
    idempotent: a['idempotentHint'] === true,
    openWorld: a['openWorldHint'] !== false,
  };
};

const MAX_TAGS = 256;
const MAX_TAG_CHARS = 64 * 1024;

/**
 * An absolute path loses its `..`, `.` and doubled `/`, so `like "/srv/docs/*"` cannot be walked out of;
 * a `file:` URL becomes `file://` and its decoded path, normalised the same way (`%2e%2e` is `..` to
 * the server that opens it). Relative paths stay as given: only the server knows what they are
 * relative to, so a policy on paths permits prefixes rather than forbidding them.
 */
const normalizeValue = (value: string): string => {
  if (value.startsWith('/')) return posix.normalize(value);
  if (!/^file:/i.test(value)) return value;
  try {
    return `file://${posix.normalize(fileURLToPath(value))}`;
  } catch {
    return value; // not a path any server resolves (a remote host, an encoded slash)
  }
};

/** Flattens arguments into tags: `a.b` for nested records, JSON for arrays and scalars. */
export const toArgumentTags = (args: unknown): Record<string, string> => {
  const tags: Record<string, string> = {};
  const walk = (value: unknown, key: string, depth: number): void => {
    if (Object.keys(tags).length >= MAX_TAGS) return;
    if (typeof value === 'string') tags[key] = normalizeValue(value).slice(0, MAX_TAG_CHARS);
    else if (typeof value === 'object' && value !== null && !Array.isArray(value) && depth < 8) {
      if (key) tags[key] = JSON.stringify(value).slice(0, MAX_TAG_CHARS);
      for (const [k, v] of Object.entries(value)) walk(v, key ? `${key}.${k}` : k, depth + 1);
    } else if (key) tags[key] = (JSON.stringify(value) ?? 'null').slice(0, MAX_TAG_CHARS);
  };
  walk(args, '', 0);
  return tags;
};

const uid = (type: string, id: string): EntityUid => ({ type: `Toolgate::${type}`, id });

const timeOf = (now: Date): Record<string, CedarValue> => ({
  hourUtc: now.getUTCHours(),
  weekdayUtc: now.getUTCDay(),
});

export interface RequestFacts {
  readonly labels: readonly string[];
  readonly declared: Declared;
  readonly sessionLabels: readonly string[];
  readonly now: Date;
}

/** The Cedar action, resource kind and name a message is about; undefined if policy does not apply. */
export const subjectOf = (
  message: Message,
):
  | { action: string; kind: 'Tool' | 'Prompt' | 'Resource' | 'ServerRequest'; name: string }
  | undefined => {
  const p = message.params;
  const name = typeof p['name'] === 'string' ? p['name'] : undefined;
  if (message.kind !== 'request') return undefined;
  if (message.direction === 'to-client')
    return { action: 'server/request', kind: 'ServerRequest', name: message.method };
  switch (message.method) {
    case 'tools/call':
      return name === undefined ? undefined : { action: 'tools/call', kind: 'Tool', name };
    case 'prompts/get':
      return name === undefined ? undefined : { action: 'prompts/get', kind: 'Prompt', name };
    case 'resources/read':
      return typeof p['uri'] === 'string'
        ? { action: 'resources/read', kind: 'Resource', name: p['uri'] }
        : undefined;
    default:
      return undefined;
  }
};

const resourceEntity = (
  server: string,
  kind: 'Tool' | 'Prompt' | 'Resource' | 'ServerRequest',
  name: string,
  facts: RequestFacts,
): CedarEntity => {
  const base = { uid: uid(kind, `${server}/${name}`), parents: [uid('Server', server)] };
  switch (kind) {
    case 'Tool':
      return {
        ...base,
        attrs: {
          server,
          name,
          labels: [...facts.labels],
          declared: { ...facts.declared },
        },
      };
    case 'Prompt':
      return { ...base, attrs: { server, name } };
    case 'Resource':
      return { ...base, attrs: { server, uri: name } };
    case 'ServerRequest':
      return { ...base, attrs: { server, method: name } };
  }
};

/**
 * Builds the Cedar request for one item of one server as one agent sees it: the principal with its
 * groups, the resource with its labels and declared annotations, and the context.
 */
export const toCedarRequest = (
  message: Pick<Message, 'principal' | 'server'>,
  subject: { action: string; kind: 'Tool' | 'Prompt' | 'Resource' | 'ServerRequest'; name: string },
  facts: RequestFacts,
  args?: Params,
): CedarRequest => {
  const groups = message.principal.groups ?? [];
  const principal: CedarEntity = {
    uid: uid('Agent', message.principal.id),
    attrs: { transport: message.principal.transport },
    parents: groups.map((g) => uid('Group', g)),
  };
  const resource = resourceEntity(message.server, subject.kind, subject.name, facts);
  const entities: CedarEntity[] = [
    principal,
    resource,
    ...groups.map((g) => ({ uid: uid('Group', g), attrs: {}, parents: [] })),
    { uid: uid('Server', message.server), attrs: {}, parents: [] },
  ];
  const listing = subject.action.endsWith('/list') || subject.action === 'server/request';
  const context: Record<string, CedarValue> = { time: timeOf(facts.now) };
  if (!listing) {
    entities.push({
      uid: uid('Arguments', 'call'),
      attrs: {},
      parents: [],
      tags: toArgumentTags(args ?? {}),
    });
    context['arguments'] = { __entity: { type: 'Toolgate::Arguments', id: 'call' } };
    context['sessionLabels'] = [...facts.sessionLabels];
  }
  return {
    principal: principal.uid,
    action: uid('Action', subject.action),
    resource: resource.uid,
    context,
    entities,
  };
};
