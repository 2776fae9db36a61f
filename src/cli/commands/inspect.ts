import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Command } from '@commander-js/extra-typings';
import { createEngine } from '../../detect/engine.js';
import { createFrameInspector } from '../../detect/frame.js';
import { done } from '../program.js';

/**
 * `toolgate inspect [FILE] [--ndjson]`: the content defenses on recorded MCP frames. Plain mode
 * reads one JSON frame per line (or one whole JSON document) and prints one verdict per frame;
 * `--ndjson` speaks the guard-benchmark contract: `{"id","message"}` in, `{"id","action","reasons"}` out.
 */
const inspect = async (file: string | undefined, ndjson: boolean): Promise<number> => {
  const inspector = createFrameInspector(createEngine());
  const input =
    file && file !== '-' ? (await import('node:fs')).createReadStream(file) : process.stdin;
  if (!ndjson && file && file !== '-') {
    const text = await readFile(file, 'utf8');
    const whole = tryParse(text);
    if (whole.ok && !Array.isArray(whole.value)) {
      process.stdout.write(JSON.stringify(inspector.inspect(whole.value)) + '\n');
      return 0;
    }
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const parsed = tryParse(line);
    if (!ndjson) {
      process.stdout.write(
        JSON.stringify(
          parsed.ok
            ? inspector.inspect(parsed.value)
            : { action: 'error', reasons: [{ rule: 'invalid-json', span: '' }] },
        ) + '\n',
      );
      continue;
    }
    const entry = parsed.ok ? (parsed.value as { id?: unknown; message?: unknown }) : undefined;
    const id = entry?.id ?? null;
    const verdict = entry && 'message' in entry ? inspector.inspect(entry.message) : undefined;
    process.stdout.write(
      JSON.stringify(
        verdict
          ? { id, ...verdict }
          : { id, action: 'error', reasons: [{ rule: 'invalid-line', span: '' }] },
      ) + '\n',
    );
  }
  return 0;
};

const tryParse = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
};

export const inspectCommand = () =>
  new Command('inspect')
    .description('content defenses on recorded MCP frames')
    .argument('[FILE]', 'frames, one JSON per line or one JSON document (default or -: stdin)')
    .option('--ndjson', '{id,message} in, {id,action,reasons} out')
    .action(async (file, opts) => done(await inspect(file, opts.ndjson === true)));
