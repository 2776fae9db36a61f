import { parseLock } from '../pins/lock.js';
import { parseConfigText } from './parse.js';
import { scanServer, sharedToolNames } from './rules.js';
import { readServers } from './servers.js';
import { severityRank, type ConfigKind, type Finding, type Severity } from './types.js';
import type { Config } from '../config/schema.js';

export interface ScannedFile {
  readonly file: string;
  readonly kind: ConfigKind | 'none';
  readonly servers: number;
}

export interface ScanReport {
  readonly files: readonly ScannedFile[];
  readonly findings: readonly Finding[];
}

export type FileScan =
  | { ok: true; scanned: ScannedFile; findings: Finding[]; config?: Config }
  | { ok: false; message: string };

const withLines = (
  findings: readonly Finding[],
  lineOf: (pointer: string) => { line: number; column: number } | undefined,
): Finding[] =>
  findings.map((f) => {
    const pos = lineOf(f.location.pointer);
    return pos ? { ...f, location: { ...f.location, line: pos.line, column: pos.column } } : f;
  });

/** Every per-server finding of one config file's text. Pure: the caller reads the file. */
export const scanConfigText = (file: string, text: string): FileScan => {
  const parsed = parseConfigText(file, text);
  if (!parsed.ok) return parsed;
  const read = readServers(file, parsed.value);
  if (!read.ok) return read;
  return {
    ok: true,
    scanned: { file, kind: read.kind, servers: read.servers.length },
    findings: withLines(read.servers.flatMap(scanServer), parsed.lineOf),
    ...(read.config && { config: read.config }),
  };
};

/** Tools that share a name across the servers of a toolgate lock. */
export const scanLockText = (file: string, text: string): FileScan => {
  const parsed = parseConfigText(file, text);
  if (!parsed.ok) return parsed;
  let lock;
  try {
    lock = parseLock(parsed.value, file);
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  const servers = Object.fromEntries(
    Object.entries(lock.servers).map(([id, s]) => [
      id,
      Object.fromEntries(
        Object.entries(s.tools).map(([key, item]) => [
          key,
          typeof item.definition.name === 'string' ? item.definition.name : key,
        ]),
      ),
    ]),
  );
  return {
    ok: true,
    scanned: { file, kind: 'none', servers: Object.keys(servers).length },
    findings: withLines(sharedToolNames({ file, servers }), parsed.lineOf),
  };
};

/** Exit status: 1 when any finding is at or above `failOn`, else 0. */
export const exitCodeOf = (findings: readonly Finding[], failOn: Severity): 0 | 1 =>
  findings.some((f) => severityRank(f.severity) >= severityRank(failOn)) ? 1 : 0;

/** Worst first, then by file and position, so the table reads top-down. */
export const sortFindings = (findings: readonly Finding[]): Finding[] =>
  [...findings].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      a.location.file.localeCompare(b.location.file) ||
      (a.location.line ?? 0) - (b.location.line ?? 0) ||
      a.rule.localeCompare(b.rule),
  );
