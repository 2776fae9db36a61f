import { createSecretScanner } from '../secrets/scan.js';
import type { Finding, RuleId, ScanServer, Severity } from './types.js';

/** Every rule's fixed description, also the SARIF `tool.driver.rules`. */
export const RULES = {
  'unpinned-package': {
    severity: 'high',
    title: 'Unpinned package spec',
    help: 'A launch command fetches a package by name, tag, range, git or URL spec: whatever is published next runs with your rights (a rug pull).',
  },
  'plain-secret': {
    severity: 'high',
    title: 'Credential in plain config',
    help: 'A credential written in the config is readable by every process and backup that reads the file, and is handed to the server whole.',
  },
  'shell-launch': {
    severity: 'medium',
    title: 'Shell or download-and-run launch',
    help: 'A server started through a shell string (or a download piped to a shell) runs code no lock or review can pin.',
  },
  'plain-http': {
    severity: 'high',
    title: 'Plain-HTTP remote server',
    help: 'A remote server over plain HTTP can be read and rewritten on the way: tool definitions, results and credentials.',
  },
  'no-sandbox': {
    severity: 'medium',
    title: 'Server runs unsandboxed',
    help: "A local server with no sandbox has your user's files, network and credentials.",
  },
  'broad-allowlist': {
    severity: 'medium',
    title: 'Over-broad allowlist',
    help: 'An allowlist of "*" lets through every item the server lists now or later, including ones it adds after review.',
  },
  'shared-tool-name': {
    severity: 'medium',
    title: 'Servers share a tool name',
    help: "Two servers offering the same tool name let one shadow the other in the model's choice (cross-server shadowing).",
  },
  'poisoned-definition': {
    severity: 'high',
    title: 'Live definition flagged by the content detector',
    help: "With --connect: a tool, prompt or resource the running server lists (or its instructions) carries injected instructions, hidden text, or text steering the model toward another server's tools (cross-server shadowing).",
  },
  'server-not-started': {
    severity: 'low',
    title: 'Server could not be started for --connect',
    help: 'With --connect: the server did not start sandboxed or did not answer initialize, so its live definitions were not checked.',
  },
} as const satisfies Record<RuleId, { severity: Severity; title: string; help: string }>;

export const scanner = createSecretScanner([]);

export const finding = (
  server: ScanServer,
  rule: RuleId,
  at: string,
  message: string,
  fix: string,
  severity: Severity = RULES[rule].severity,
): Finding => ({
  rule,
  severity,
  server: server.name,
  location: { file: server.file, pointer: server.pointer + at },
  message,
  fix,
});

export const isToolgate = (s: ScanServer): boolean => s.source === 'toolgate';

/** A URL, or undefined when the text is not one. */
export const safeUrl = (text: string): URL | undefined => {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
};
