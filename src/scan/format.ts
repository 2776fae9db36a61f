import { VERSION } from '../version.js';
import { RULES } from './rule-kit.js';
import type { ScanReport } from './scan.js';
import type { Finding, RuleId, Severity } from './types.js';

const where = (f: Finding): string =>
  `${f.location.file}${f.location.line !== undefined ? `:${f.location.line}` : ''} ${f.location.pointer}`;

/** Server names and tool names come from the scanned files: control characters are shown escaped, never sent to the terminal. */
const printable = (text: string): string =>
  text.replace(
    /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/** The readable report: one block per finding, worst first, then a count per severity. */
export const toTable = (report: ScanReport): string => {
  const lines: string[] = [];
  for (const s of report.files)
    lines.push(
      `scanned ${s.file} (${s.kind === 'none' ? 'no MCP servers' : `${s.kind}, ${s.servers} server${s.servers === 1 ? '' : 's'}`})`,
    );
  lines.push('');
  if (report.findings.length === 0) lines.push('no findings');
  for (const f of report.findings) {
    lines.push(
      `${f.severity.toUpperCase().padEnd(6)} ${f.rule.padEnd(17)} ${f.server}  ${where(f)}`,
    );
    lines.push(`       ${f.message}`);
    lines.push(`       fix: ${f.fix}`);
  }
  const count = (s: Severity): number => report.findings.filter((f) => f.severity === s).length;
  lines.push(
    '',
    `${report.findings.length} finding(s): ${count('high')} high, ${count('medium')} medium, ${count('low')} low`,
  );
  return lines.map(printable).join('\n') + '\n';
};

export const toJson = (report: ScanReport): string =>
  JSON.stringify({ version: 1, tool: 'toolgate scan', ...report }, null, 2) + '\n';

const LEVEL = { high: 'error', medium: 'warning', low: 'note' } as const satisfies Record<
  Severity,
  string
>;

/** SARIF 2.1.0 (OASIS): one run, every rule in `tool.driver.rules`, a result per finding with its file and line. */
export const toSarif = (report: ScanReport): string => {
  const ids = Object.keys(RULES) as RuleId[];
  const sarif = {
    $schema:
      'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'toolgate scan',
            version: VERSION,
            rules: ids.map((id) => ({
              id,
              name: id
                .replace(/-(.)/g, (_, c: string) => c.toUpperCase())
                .replace(/^./, (c) => c.toUpperCase()),
              shortDescription: { text: RULES[id].title },
              fullDescription: { text: RULES[id].help },
              defaultConfiguration: { level: LEVEL[RULES[id].severity] },
              properties: {
                'security-severity': { high: '8.0', medium: '5.0', low: '2.0' }[RULES[id].severity],
              },
            })),
          },
        },
        results: report.findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: ids.indexOf(f.rule),
          level: LEVEL[f.severity],
          message: { text: `${f.server}: ${f.message}. Fix: ${f.fix}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: toUri(f.location.file) },
                ...(f.location.line !== undefined && {
                  region: {
                    startLine: f.location.line,
                    ...(f.location.column !== undefined && { startColumn: f.location.column }),
                  },
                }),
              },
              logicalLocations: [
                { name: f.server, fullyQualifiedName: f.location.pointer, kind: 'object' },
              ],
            },
          ],
          properties: { server: f.server, pointer: f.location.pointer, severity: f.severity },
        })),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
};

/** A relative path stays relative (SARIF consumers resolve it against the checkout); an absolute one becomes file://. */
const toUri = (file: string): string =>
  file.startsWith('/')
    ? `file://${file.split('/').map(encodeURIComponent).join('/')}`
    : file.split(/[\\/]/).map(encodeURIComponent).join('/');
