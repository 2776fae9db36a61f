import { definitionItem, payloadItem } from './collect.js';
import { createEngine } from './engine.js';

// What the detection tests scan through: the default engine, a tool result, a tool definition.

/** The engine with its default thresholds, built once. */
export const engine = createEngine();

/** The verdict on a tool result carrying `text`. */
export const out = (text: string) =>
  engine.scan(payloadItem('output', { content: [{ type: 'text', text }] }));

/** The verdict on a tool definition (`name` defaults to a harmless weather lookup). */
export const tool = (
  description: string,
  properties: Record<string, unknown> = {},
  name = 'lookup_weather',
) =>
  engine.scan(definitionItem({ name, description, inputSchema: { type: 'object', properties } }));

/** The rules a verdict names. */
export const rules = (v: { reasons: readonly { rule: string }[] }) => v.reasons.map((r) => r.rule);
