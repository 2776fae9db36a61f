import type { Client } from '@modelcontextprotocol/client';
import { HOSTILE, type Stage } from './setup.js';

/** What one call came back with: the text that reached the client, or the gateway's refusal code. */
export interface CallOutcome {
  readonly ok: boolean;
  readonly text: string;
  readonly code?: string;
  readonly structured?: unknown;
}

export interface AttackContext {
  readonly client: Client;
  readonly stage: Stage;
  /** Paths the canary HTTP server on the host's loopback was asked for. */
  readonly canaryHits: readonly string[];
  readonly canaryPort: number;
  /** What `toolgate lock` refused (its LOCK_* lines), when the run took a lock. */
  readonly lockNotes: readonly string[];
  /** The namespaced name of one of the hostile server's tools. */
  name(tool: string, server?: string): string;
  call(tool: string, args?: Record<string, unknown>, server?: string): Promise<CallOutcome>;
  listNames(): Promise<{ name: string; description: string }[]>;
}

interface Verdict {
  readonly blocked: boolean;
  readonly evidence: string;
}

export interface Attack {
  readonly id: string;
  readonly title: string;
  run(ctx: AttackContext): Promise<Verdict>;
}

export interface AttackResult extends Verdict {
  readonly id: string;
  readonly title: string;
}

const codeOf = (error: unknown): string => {
  const e = error as { code?: unknown; data?: { code?: unknown }; message?: unknown };
  if (typeof e.data?.code === 'string') return e.data.code;
  const rpc = typeof e.code === 'number' ? e.code : '?';
  const message = typeof e.message === 'string' ? e.message : 'no message';
  return `JSON-RPC ${rpc}: ${message.slice(0, 120)}`;
};

/** A stable code out of a tool-error result's text (`CODE: message`), if it starts with one. */
const codeInText = (text: string): string | undefined =>
  /\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b/.exec(text)?.[1];

export const makeContext = (
  client: Client,
  stage: Stage,
  canary: { hits: readonly string[]; port: number },
  lockNotes: readonly string[],
): AttackContext => {
  const name = (tool: string, server = HOSTILE) => `${server}${stage.separator}${tool}`;
  return {
    client,
    stage,
    canaryHits: canary.hits,
    canaryPort: canary.port,
    lockNotes,
    name,
    call: async (tool, args = {}, server) => {
      try {
        const result = await client.callTool(
          { name: name(tool, server), arguments: args },
          { timeout: 20_000 },
        );
        const content = Array.isArray(result.content) ? result.content : [];
        const text = content
          .map((c: { type?: string; text?: unknown }) => (typeof c.text === 'string' ? c.text : ''))
          .join('\n');
        if (result.isError === true) {
          const code = codeInText(text);
          return { ok: false, text, ...(code ? { code } : {}) };
        }
        return { ok: true, text, structured: result.structuredContent };
      } catch (error) {
        return { ok: false, text: '', code: codeOf(error) };
      }
    },
    listNames: async () => {
      const out: { name: string; description: string }[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor });
        for (const t of page.tools) out.push({ name: t.name, description: t.description ?? '' });
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return out;
    },
  };
};

/** Evidence for a call that did not get through: the refusal code, or a short excerpt. */
export const refusal = (outcome: CallOutcome): string =>
  outcome.code ?? `tool error: ${outcome.text.slice(0, 120)}`;
