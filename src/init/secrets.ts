import { createSecretScanner } from '../secrets/scan.js';

/** Names that hold credentials by convention, whatever their value looks like. */
const SECRET_NAME =
  /token|secret|passw|pwd|api_?key|access_?key|private_?key|auth|credential|cookie|session|(^|_)pat$|(^|_|-)key$/i;
/** Names of headers that carry credentials. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie)$|token|secret|key|auth|session/i;

const scanner = createSecretScanner([]);

/**
 * A client-config reference to the client's own environment: Claude Code and Gemini CLI expand
 * `${VAR}` (and `$VAR`), VS Code `${env:VAR}`. toolgate expands nothing, so such a value becomes a
 * `{ env: VAR }` secret source read from toolgate's environment.
 */
const ENV_REF =
  /^\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$/;
/** Any reference at all (`${input:id}` of VS Code included), inside a longer value. */
const ANY_REF = /\$\{[^}]+\}/;

export const hasCredential = (text: string): boolean => scanner.scan(text).length > 0;

/** The variable a whole-value reference names, or undefined. */
export const envRefOf = (value: string): string | undefined => {
  const m = ENV_REF.exec(value);
  return m?.[1] ?? m?.[2];
};

/**
 * How one env value or header of a client config is carried over: `plain` stays in the toolgate
 * config as written; `secret` becomes a secret source, the value itself never copied.
 */
export type Carried = { kind: 'plain' } | { kind: 'secret'; ref: string | undefined; why: string };

export const classifyValue = (name: string, value: string, header: boolean): Carried => {
  const ref = envRefOf(value);
  if (ref !== undefined)
    return { kind: 'secret', ref, why: `referenced the client's environment variable ${ref}` };
  if (ANY_REF.test(value))
    return {
      kind: 'secret',
      ref: undefined,
      why: 'held a reference the client expands (such as ${input:…})',
    };
  if (hasCredential(value)) return { kind: 'secret', ref: undefined, why: 'held a credential' };
  if ((header ? SECRET_HEADER : SECRET_NAME).test(name))
    return { kind: 'secret', ref: undefined, why: 'is named like a credential' };
  return { kind: 'plain' };
};

/** Whether a command-line flag's value is a credential by its name (`--api-key`, `--token=…`). */
export const isSecretFlag = (flag: string): boolean =>
  /^--?[A-Za-z0-9-]*(token|secret|password|api-?key|access-?key|auth)[A-Za-z0-9-]*$/i.test(flag);

/**
 * An environment variable name for a server's secret: the original name prefixed with the server id
 * (unless it already starts with it), so two servers' values never share a variable; `taken` holds
 * the names given so far, and a clash gets a numeric suffix.
 */
export const envNameFor = (serverId: string, name: string, taken: Set<string>): string => {
  const prefix = serverId.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  const upper = name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  const base = (upper.startsWith(`${prefix}_`) ? upper : `${prefix}_${upper}`).replace(
    /^([0-9])/,
    '_$1',
  );
  let env = base;
  for (let n = 2; taken.has(env); n++) env = `${base}_${n}`;
  taken.add(env);
  return env;
};
