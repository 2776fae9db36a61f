// Runs the official MCP conformance suite's client scenarios with toolgate's upstream side as the
// client under test (test/fixtures/conformance-client.ts: the Upstream class toolgate uses to talk to
// a server, on the default config). The suite starts each scenario's server and runs the client
// against its URL. Scenarios run a few at a time: each one starts a Node process, which is slow on a
// loaded machine, and the suite's per-scenario timeout counts that start-up too.
// Needs Node >= 22 (the suite's engine), strips its own types, and runs the built client (dist/):
//   npm run build && "$(bash scripts/install-node24.sh)/node" scripts/conformance-client.ts [--docs]
// It prints a JSON summary; with --docs it also rewrites docs/conformance-client.md.
// TOOLGATE_NODE picks the Node that runs the client (default: this one).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..');
const SUITE = join(REPO, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const CLIENT = join(REPO, 'dist/test/fixtures/conformance-client.js');
const NODE = process.env['TOOLGATE_NODE'] || process.execPath;
const PARALLEL = 3;
const SCENARIO_TIMEOUT_MS = 90_000;

interface Check {
  readonly id: string;
  readonly status: string;
  readonly errorMessage?: string;
}
interface Row {
  readonly scenario: string;
  readonly passed: number;
  readonly failed: number;
  readonly warnings: number;
  readonly firstFailure?: string;
  readonly note: string;
}

const suite = (args: readonly string[]) =>
  new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [SUITE, ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (_code, signal) =>
      signal ? reject(new Error(`conformance suite killed by ${signal}`)) : resolve(output),
    );
  });

/** The client scenarios the suite lists (all of them: core, backcompat, draft and extensions). */
const listScenarios = async (): Promise<string[]> => {
  const listing = await suite(['list']);
  const clientPart = listing.split(/Client scenarios/)[1] ?? '';
  return [...clientPart.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1] as string);
};

/** Where the suite wrote a scenario's checks.json (it nests `auth/x` under `auth/`). */
const findChecks = (dir: string): string | undefined => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name === 'checks.json') return path;
    if (entry.isDirectory()) {
      const found = findChecks(path);
      if (found) return found;
    }
  }
  return undefined;
};

/** Why a scenario does not pass every check with toolgate's upstream side as the client. */
const explain = (scenario: string, failure: string, warning: string): string => {
  if (scenario.startsWith('auth/'))
    return "OAuth authorization flow: toolgate's upstream side does not run one (it sends the configured `headers`/`secretHeaders`, e.g. a static bearer token); the 401 stops the start with `CLIENT_HTTP_AUTHENTICATION`.";
  if (scenario === 'elicitation-sep1034-client-defaults')
    return "toolgate relays `elicitation/create` to the agent's client unchanged, and the agent's client fills the form, defaults included; the stand-in agent here accepts with nothing filled in, so the defaults are toolgate's to apply, and it does not.";
  if (scenario === 'sse-retry' && warning)
    return `warning (a SHOULD, or timing): ${warning} The SDK client reconnects by GET with \`Last-Event-ID\` after \`retry\` ms (about 520 ms of 500 when the machine is idle); on a loaded machine the suite may see it late.`;
  if (scenario === 'auth/resource-mismatch')
    return 'passes: the server names a protected resource other than its own URL, and the client must not authorize for it; toolgate never authorizes.';
  if (!failure) return '';
  return `Unexplained: ${failure}`;
};

const runScenario = async (scenario: string): Promise<Row> => {
  const out = mkdtempSync(join(tmpdir(), 'toolgate-conformance-client-'));
  await suite([
    'client',
    '--command',
    `${NODE} ${CLIENT}`,
    '--scenario',
    scenario,
    '--timeout',
    String(SCENARIO_TIMEOUT_MS),
    '-o',
    out,
  ]);
  const path = findChecks(out);
  if (!path || !existsSync(path)) throw new Error(`the suite wrote no checks for ${scenario}`);
  const checks = JSON.parse(readFileSync(path, 'utf8')) as Check[];
  const failures = checks.filter((c) => c.status === 'FAILURE');
  const warned = checks.filter((c) => c.status === 'WARNING');
  const first = failures[0];
  const firstFailure = first && `${first.id}: ${first.errorMessage ?? ''}`.slice(0, 200);
  return {
    scenario,
    passed: checks.filter((c) => c.status === 'SUCCESS').length,
    failed: failures.length,
    warnings: warned.length,
    ...(firstFailure && { firstFailure }),
    note: explain(scenario, firstFailure ?? '', warned[0]?.errorMessage ?? ''),
  };
};

const runAll = async (scenarios: readonly string[]): Promise<Row[]> => {
  const rows: Row[] = [];
  const queue = [...scenarios];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) rows.push(await runScenario(next));
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return rows.sort((a, b) => scenarios.indexOf(a.scenario) - scenarios.indexOf(b.scenario));
};

const toMarkdown = (summary: {
  node: string;
  passed: number;
  total: number;
  rows: readonly Row[];
}): string => `# MCP conformance: client scenarios, toolgate's upstream side as the client

Generated by \`scripts/conformance-client.ts --docs\` (suite \`@modelcontextprotocol/conformance\`, every client
scenario it lists, Node ${summary.node}). The client under test is \`test/fixtures/conformance-client.ts\`:
toolgate's \`Upstream\` (\`src/upstream\`: the SDK client, HTTP transport, limits and credential handling the
gateway uses) on the default config with sampling and elicitation allowed. It connects, lists the tools and
calls each one, as an agent does through the gateway. A request the server sends to the client goes where the
gateway sends it, to the agent's client: here a stand-in that accepts and fills in nothing. Cells are checks
passed, failed and warned. The server-side scenarios are in [conformance.md](conformance.md).

**Checks passed: ${summary.passed}/${summary.total}.** Every check of the core scenarios that do not need OAuth
(\`initialize\`, \`tools_call\`) passes; every other difference is explained below.

| scenario | passed | failed | warnings | note |
|---|---|---|---|---|
${summary.rows.map((r) => `| ${r.scenario} | ${r.passed} | ${r.failed} | ${r.warnings} | ${r.note} |`).join('\n')}

Regenerate: \`npm run build && "$(bash scripts/install-node24.sh)/node" scripts/conformance-client.ts --docs\`.
\`test/e2e/conformance-client.test.ts\` runs the same scenarios and fails when one passes fewer checks than
this table records, or fails one for a reason not explained here.
`;

const main = async () => {
  const rows = await runAll(await listScenarios());
  const passed = rows.reduce((n, r) => n + r.passed, 0);
  const total = rows.reduce((n, r) => n + r.passed + r.failed, 0);
  const summary = { node: process.version, clientNode: NODE, passed, total, rows };
  if (process.argv.includes('--docs'))
    writeFileSync(join(REPO, 'docs/conformance-client.md'), toMarkdown(summary));
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
};

await main();
