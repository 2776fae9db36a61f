import { z } from 'zod';

/** `content:` in toolgate.yaml: output validation, sanitising, detection and secret redaction (all on by default). */
const Ceiling = (what: string, def: 'warn' | 'block') =>
  z
    .enum(['warn', 'block'])
    .default(def)
    .describe(`Strongest action on ${what}: block refuses (or hides), warn forwards and reports.`);

const Output = z
  .strictObject({
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(8 * 1024 * 1024)
      .describe('Largest result (strings and keys counted), in bytes.'),
    maxDepth: z
      .number()
      .int()
      .min(4)
      .max(1000)
      .default(64)
      .describe('Deepest nesting of a result.'),
    maxItems: z
      .number()
      .int()
      .min(16)
      .max(10_000_000)
      .default(200_000)
      .describe('Most array items and object keys in one result.'),
    maxSchemaBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(512 * 1024)
      .describe('Largest outputSchema compiled; a larger one is refused (bounded cost).'),
    allowSchemes: z
      .array(z.enum(['file', 'javascript', 'data', 'vbscript', 'blob', 'jar', 'view-source']))
      .default([])
      .describe('URI schemes allowed in resource links of results although denied by default.'),
  })
  .describe('Output validation: outputSchema, caps and URI schemes; failing closed.');

const Sanitize = z
  .strictObject({
    mode: z
      .enum(['strip', 'block'])
      .default('strip')
      .describe(
        'Hidden characters in text for the model: strip them (reported) or refuse the message.',
      ),
  })
  .describe('Hidden-character sanitising (ANSI, zero-width, bidi, tag characters).');

const Detect = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Run the injection and poisoning detector.'),
    warnAt: z.number().min(0.1).max(10).default(0.5).describe('Score at which a verdict is warn.'),
    blockAt: z
      .number()
      .min(0.1)
      .max(10)
      .default(1.0)
      .describe('Score at which a verdict is block.'),
    definitions: Ceiling(
      'tool, prompt and resource definitions (block = hidden from lists)',
      'block',
    ),
    instructions: Ceiling(
      "a server's initialize instructions and serverInfo, at every start (block = the server is not started)",
      'block',
    ),
    toolResults: Ceiling('tool results', 'block'),
    resources: Ceiling('resource contents (chosen by the user)', 'warn'),
    prompts: Ceiling('prompt messages (chosen by the user)', 'warn'),
    serverRequests: Ceiling('sampling and elicitation requests from servers', 'block'),
    arguments: Ceiling('arguments of tool calls (command, query, option injection)', 'block'),
  })
  .refine((d) => d.warnAt <= d.blockAt, 'warnAt must not exceed blockAt')
  .describe('Offline detection of poisoning and injection (docs/detection.md).');

const Secrets = z
  .strictObject({
    env: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
      .default([])
      .describe(
        'Gateway environment variables whose values are credentials: redacted from outputs, refused in arguments.',
      ),
    formats: z
      .boolean()
      .default(true)
      .describe(
        'Also catch common credential formats (cloud keys, GitHub/Slack tokens, private keys, JWTs).',
      ),
  })
  .describe('Secret redaction in outputs and exfiltration blocking in arguments.');

export const ContentSchema = z
  .strictObject({
    output: Output.prefault({}),
    sanitize: Sanitize.prefault({}),
    detect: Detect.prefault({}),
    secrets: Secrets.prefault({}),
  })
  .describe(
    'Content defenses on every message: output validation, sanitising, detection, secrets.',
  );

export type ContentConfig = z.infer<typeof ContentSchema>;
export const CONTENT_DEFAULTS: ContentConfig = ContentSchema.parse({});
