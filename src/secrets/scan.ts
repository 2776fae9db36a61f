import type { SecretSource } from './registry.js';

/**
 * Credentials in text: configured secret values (and their base64, base64url, hex and
 * percent-encoded forms, the usual ways to smuggle one out) and well-known credential formats.
 * Pure: the values are resolved at the edge and passed in.
 */
interface SecretHit {
  readonly rule: string;
  readonly start: number;
  readonly end: number;
}

const FORMATS: readonly { rule: string; re: RegExp }[] = [
  { rule: 'aws-access-key', re: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g },
  {
    rule: 'aws-secret-key',
    re: /\baws_?secret_?access_?key\b["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}\b/gi,
  },
  {
    rule: 'github-token',
    re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g,
  },
  { rule: 'gitlab-token', re: /\bglpat-[A-Za-z0-9_-]{20,}\b/g },
  {
    rule: 'slack-token',
    re: /\bxox[abposre]-[A-Za-z0-9-]{10,}\b|https:\/\/hooks\.slack\.com\/services\/T[A-Za-z0-9]+\/B[A-Za-z0-9]+\/[A-Za-z0-9]+/g,
  },
  {
    rule: 'private-key',
    re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  { rule: 'jwt', re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { rule: 'google-api-key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { rule: 'stripe-key', re: /\b(?:sk|rk)_live_[0-9a-zA-Z]{16,}\b/g },
  { rule: 'openai-key', re: /\bsk-(?:proj-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{32,}\b/g },
  { rule: 'npm-token', re: /\bnpm_[A-Za-z0-9]{36}\b/g },
];

/** Documentation placeholders (AWS's own examples end in EXAMPLE): not credentials. */
const PLACEHOLDER = /EXAMPLE|X{8,}|0{12,}/;
const QUICK =
  /AKIA|ASIA|ABIA|ACCA|secret|gh[pousr]_|github_pat_|glpat-|xox|hooks\.slack|PRIVATE KEY|eyJ|AIza|_live_|sk-|npm_/i;

export interface SecretScanner {
  scan(text: string): SecretHit[];
  /** Replaces every hit with `[REDACTED:rule]`. */
  redact(text: string): { text: string; rules: string[] };
}

/** Shorter values are not matched: an 8-character floor keeps short common words from redacting output everywhere. */
const MIN_SECRET_LENGTH = 8;

/**
 * The base64 (or base64url) characters that encode `bytes` whatever precedes them: with `shift` bytes
 * before it (1 or 2 shift the 6-bit groups), the characters that mix in a neighbour's bits are dropped.
 */
const alignedBase64 = (bytes: Buffer, shift: number, encoding: 'base64' | 'base64url'): string => {
  const text = Buffer.concat([Buffer.alloc(shift), bytes]).toString(encoding);
  return text.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6));
};

/** Every byte as `%XX`, in one case. */
const percentAll = (bytes: Buffer, upper: boolean): string => {
  const hex = bytes.toString('hex');
  return (upper ? hex.toUpperCase() : hex).replace(/../g, '%$&');
};

/**
 * The encoded forms of one configured value that must be caught as well: base64 and base64url at each
 * of the three alignments (a 1–2 byte prefix shifts them), hex in either case, percent-encoding.
 */
const formsOf = (value: string): string[] => {
  const b = Buffer.from(value, 'utf8');
  const hex = b.toString('hex');
  const base64 = [0, 1, 2].flatMap((shift) => [
    alignedBase64(b, shift, 'base64'),
    alignedBase64(b, shift, 'base64url'),
  ]);
  return [
    ...new Set([
      value,
      ...base64,
      hex,
      hex.toUpperCase(),
      encodeURIComponent(value),
      percentAll(b, false),
      percentAll(b, true),
    ]),
  ];
};

/** `Array.isArray` narrows a readonly array to `any[]`. */
const isList = (values: readonly string[] | SecretSource): values is readonly string[] =>
  Array.isArray(values);

/**
 * @example
 * createSecretScanner(['s3cr3t-value']).redact('token=s3cr3t-value').text // 'token=[REDACTED:configured-secret]'
 */
export const createSecretScanner = (
  values: readonly string[] | SecretSource,
  formats = true,
): SecretScanner => {
  const source: SecretSource = isList(values) ? { version: 0, values: () => values } : values;
  let version = -1;
  let needles: string[] = [];
  let shortest = Infinity;
  const current = (): string[] => {
    if (source.version !== version) {
      version = source.version;
      needles = [
        ...new Set(
          source
            .values()
            .filter((v) => v.length >= MIN_SECRET_LENGTH)
            .flatMap(formsOf),
        ),
      ];
      shortest = Math.min(...needles.map((n) => n.length));
    }
    return needles;
  };
  const scan = (text: string): SecretHit[] => {
    const hits: SecretHit[] = [];
    const all = current();
    // Keys and short values (most strings of a message) cannot hold any form of a configured value.
    if (text.length >= shortest)
      for (const needle of all) {
        let at = text.indexOf(needle);
        while (at >= 0) {
          hits.push({ rule: 'configured-secret', start: at, end: at + needle.length });
          at = text.indexOf(needle, at + needle.length);
        }
      }
    if (formats && QUICK.test(text))
      for (const { rule, re } of FORMATS)
        for (const m of text.matchAll(re))
          if (!PLACEHOLDER.test(m[0]))
            hits.push({ rule, start: m.index, end: m.index + m[0].length });
    return hits.sort((a, b) => a.start - b.start);
  };
  return {
    scan,
    redact(text) {
      const hits = scan(text);
      if (hits.length === 0) return { text, rules: [] };
      let out = '';
      let at = 0;
      for (const h of hits) {
        if (h.start < at) continue;
        out += `${text.slice(at, h.start)}[REDACTED:${h.rule}]`;
        at = h.end;
      }
      return { text: out + text.slice(at), rules: [...new Set(hits.map((h) => h.rule))] };
    },
  };
};
