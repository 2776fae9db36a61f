import { finding, isToolgate, safeUrl, scanner } from './rule-kit.js';
import { pointerOf, type Finding, type ScanServer } from './types.js';

/** A placeholder the client or toolgate fills in at start (`${env:X}`, `${input:x}`, `$X`, `{{x}}`), not a literal credential. */
const REFERENCE = /\$\{[^}]+\}|^\$[A-Za-z_][A-Za-z0-9_]*$|\{\{[^}]+\}\}|^<[^>]+>$/;
const CREDENTIAL_NAME =
  /(^|[_-])(token|secret|password|passwd|passphrase|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth|authorization|cookie|bearer|pat)([_-]|$)/i;
/** Keys that name where a credential is (`TOKEN_FILE`, `AUTH_URL`) or what kind it is, not the credential itself. */
const NOT_A_VALUE = /[_-]?(file|path|dir|env|var|url|uri|name|type|mode|id|header|endpoint)$/i;
const PLACEHOLDER_VALUE = /^(your|my|change[_-]?me|replace|placeholder|example|xxx|todo|<|\*+$)/i;

/** Literal credentials in env, headers, args and the URL: known formats anywhere, and credential-named keys with a literal value. */
export const plainSecrets = (server: ScanServer): Finding[] => {
  const out: Finding[] = [];
  const fix = isToolgate(server)
    ? 'move it to `secrets:` (stdio, container) or `secretHeaders:` (HTTP), read from the environment, a file or a command, and rotate it'
    : 'reference it instead (VS Code `${input:…}`/`${env:…}`, or run the server behind toolgate with `secrets:`), and rotate it';
  const check = (where: string, at: string, key: string | undefined, value: string): void => {
    const rules = [...new Set(scanner.scan(value).map((h) => h.rule))];
    if (rules.length > 0) {
      out.push(
        finding(
          server,
          'plain-secret',
          at,
          `${where} holds a credential (${rules.join(', ')}) in plain text`,
          fix,
        ),
      );
      return;
    }
    const bare = value.replace(/^(bearer|basic|token)\s+/i, '');
    if (
      key !== undefined &&
      CREDENTIAL_NAME.test(key) &&
      !NOT_A_VALUE.test(key) &&
      bare.length >= 8 &&
      !REFERENCE.test(value) &&
      !PLACEHOLDER_VALUE.test(bare) &&
      !/^[~./]/.test(bare)
    )
      out.push(
        finding(
          server,
          'plain-secret',
          at,
          `${where} looks like a credential written in plain text`,
          fix,
          'medium',
        ),
      );
  };
  for (const [k, v] of Object.entries(server.env)) check(`env ${k}`, pointerOf('env', k), k, v);
  for (const [k, v] of Object.entries(server.headers))
    check(`header ${k}`, pointerOf('headers', k), k, v);
  server.args.forEach((a, i) => {
    const flag =
      /^--?([A-Za-z][\w-]*)=/.exec(a)?.[1] ??
      /^--?([A-Za-z][\w-]*)$/.exec(server.args[i - 1] ?? '')?.[1];
    check(`argument ${i}`, pointerOf('args', i), flag, a.replace(/^--?[\w-]+=/, ''));
  });
  if (server.url !== undefined) {
    check('the URL', pointerOf(server.urlKey ?? 'url'), undefined, server.url);
    const url = safeUrl(server.url);
    const literal = (v: string): boolean =>
      v.length >= 8 && !REFERENCE.test(v) && !PLACEHOLDER_VALUE.test(v);
    if (
      (url?.password && literal(url.password)) ||
      [...(url?.searchParams.entries() ?? [])].some(
        ([k, v]) => CREDENTIAL_NAME.test(k) && !NOT_A_VALUE.test(k) && literal(v),
      )
    )
      if (!out.some((f) => f.location.pointer.endsWith(pointerOf(server.urlKey ?? 'url'))))
        out.push(
          finding(
            server,
            'plain-secret',
            pointerOf(server.urlKey ?? 'url'),
            'the URL carries a credential (user info or a token parameter)',
            fix,
          ),
        );
  }
  return out;
};
