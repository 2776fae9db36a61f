import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * One labelled item of `data/detect/<source>/items.jsonl` (see data/detect/FORMAT.md): an MCP object
 * as an agent receives it, with the label its source gave it. `source` is the unit a
 * leave-one-source-out benchmark holds out.
 */

const Text = z.object({ type: z.literal('text'), text: z.string() }).loose();
const Content = z.union([Text, z.object({ type: z.string() }).loose()]);

const ToolDefinitionSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    inputSchema: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
const ToolOutputSchema = z
  .object({ content: z.array(Content).min(1), isError: z.boolean().optional() })
  .loose();
const PromptSchema = z
  .object({ name: z.string().min(1), description: z.string().optional() })
  .loose();
const ResourceSchema = z.object({ uri: z.string().min(1), name: z.string().optional() }).loose();
const InstructionsSchema = z.object({ text: z.string().min(1) }).strict();

const ATTACK_CLASSES = [
  'tool-call-order',
  'fake-deprecation',
  'fake-alert',
  'argument-tampering',
  'beacon',
  'shell',
  'exfiltration',
  'hidden-instruction',
  'preference-manipulation',
  'name-squatting',
  'output-injection',
  'prompt-injection',
  'jailbreak',
  'other',
] as const;

const SourceName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/);
const Base = {
  id: z.string().min(1),
  source: SourceName,
  label: z.enum(['attack', 'benign']),
  class: z.enum(ATTACK_CLASSES).optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
};

export const DetectItemSchema = z
  .discriminatedUnion('surface', [
    z.object({ ...Base, surface: z.literal('definition'), item: ToolDefinitionSchema }).strict(),
    z.object({ ...Base, surface: z.literal('output'), item: ToolOutputSchema }).strict(),
    z.object({ ...Base, surface: z.literal('prompt'), item: PromptSchema }).strict(),
    z.object({ ...Base, surface: z.literal('resource'), item: ResourceSchema }).strict(),
    z.object({ ...Base, surface: z.literal('instructions'), item: InstructionsSchema }).strict(),
  ])
  .refine((line) => line.label === 'attack' || line.class === undefined, {
    message: 'a benign item has no attack class',
  });

export type DetectItem = z.infer<typeof DetectItemSchema>;

/** The folders of `root` that hold an items.jsonl (sources rebuilt by a script may be absent). */
export const sourcesIn = (root: string): string[] =>
  existsSync(root)
    ? readdirSync(root, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'items.jsonl')))
        .map((d) => d.name)
        .sort()
    : [];

/** Reads one source's lines, each validated; an invalid line throws with its file and line number. */
export const readSource = (root: string, source: string): DetectItem[] => {
  const file = join(root, source, 'items.jsonl');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      const parsed = DetectItemSchema.safeParse(JSON.parse(line));
      if (!parsed.success)
        throw new Error(`${file}:${index + 1}: ${z.prettifyError(parsed.error)}`);
      if (parsed.data.source !== source)
        throw new Error(`${file}:${index + 1}: source "${parsed.data.source}" in folder ${source}`);
      return parsed.data;
    });
};

/** Ids that occur more than once across the given items (ids are unique across every source). */
export const duplicateIds = (items: Iterable<Pick<DetectItem, 'id'>>): string[] => {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const { id } of items) (seen.has(id) ? twice : seen).add(id);
  return [...twice].sort();
};

/**
 * MCP-SafetyBench and the Invariant Labs injection examples are the team's external yardstick: no
 * line may come from them (names as they appear in repository paths, sources and provenance).
 */
const FORBIDDEN_MARKERS = [
  'mcp-safetybench',
  'mcpsafetybench',
  'xjzzzzzzzz/mcpsafety',
  'invariantlabs',
  'invariant labs',
  'mcp-injection-experiments',
] as const;

/** The forbidden marker a line's text (any field, meta included) names, if any. */
export const forbiddenMarkerIn = (line: string): string | undefined => {
  const lower = line.toLowerCase();
  return FORBIDDEN_MARKERS.find((marker) => lower.includes(marker));
};
