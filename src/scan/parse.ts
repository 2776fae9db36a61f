import { LineCounter, parseDocument, parse as parseYaml } from 'yaml';

/** Calls `visit` for each character outside JSON strings; string characters are copied as they are. */
const outsideStrings = (
  text: string,
  visit: (at: number) => { take: number; replace: string },
): string => {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const { take, replace } = visit(i);
    out += replace;
    i += take;
  }
  return out;
};

const CLOSES = /\s*[}\]]/y;

/**
 * Blanks JSONC comments and trailing commas (VS Code's settings.json and mcp.json allow both) with
 * spaces, so every offset, and so every line, stays where it was in the file.
 */
export const stripJsonc = (text: string): string => {
  const noComments = outsideStrings(text, (i) => {
    const end = text.startsWith('//', i)
      ? text.indexOf('\n', i)
      : text.startsWith('/*', i)
        ? text.indexOf('*/', i + 2)
        : -2;
    if (end === -2) return { take: 1, replace: text[i] ?? '' };
    const stop = end < 0 ? text.length : text[i + 1] === '*' ? end + 2 : end;
    return { take: stop - i, replace: text.slice(i, stop).replace(/[^\n]/g, ' ') };
  });
  return outsideStrings(noComments, (i) => {
    CLOSES.lastIndex = i + 1;
    return {
      take: 1,
      replace: noComments[i] === ',' && CLOSES.test(noComments) ? ' ' : (noComments[i] ?? ''),
    };
  });
};

export type Parsed =
  | {
      ok: true;
      value: unknown;
      lineOf: (pointer: string) => { line: number; column: number } | undefined;
    }
  | { ok: false; message: string };

/**
 * Parses a config file (JSON, JSONC or YAML) and keeps a way back from a JSON pointer to its line.
 * // untrusted: any file named on the command line or found in a client's config folder.
 */
export const parseConfigText = (file: string, text: string): Parsed => {
  const yaml = /\.ya?ml$/i.test(file);
  const source = yaml ? text : stripJsonc(text);
  let value: unknown;
  try {
    value = yaml ? parseYaml(source, { uniqueKeys: true }) : JSON.parse(source);
  } catch (cause) {
    return {
      ok: false,
      message: `not valid ${yaml ? 'YAML' : 'JSON'}: ${(cause as Error).message}`,
    };
  }
  let located: { doc: ReturnType<typeof parseDocument>; counter: LineCounter } | undefined;
  const lineOf = (pointer: string): { line: number; column: number } | undefined => {
    if (!located) {
      const counter = new LineCounter();
      located = {
        doc: parseDocument(source, { lineCounter: counter, uniqueKeys: false }),
        counter,
      };
    }
    const path = pointer
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    // The deepest existing node: a finding about an absent field (`sandbox` left out) points at its server.
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = located.doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: readonly number[] } | undefined)?.range;
      if (range?.[0] !== undefined) {
        const { line, col } = located.counter.linePos(range[0]);
        return { line, column: col };
      }
    }
    return undefined;
  };
  return { ok: true, value, lineOf };
};
