// Runs the official MCP conformance suite's server scenarios against the official "everything"
// server directly, then through `toolgate serve` in front of the same server, and compares them.
// Needs Node >= 22 (the suite's engine) and strips its own types: run it with Node 24,
//   "$(bash scripts/install-node24.sh)/node" scripts/conformance.ts [--docs]
// It prints a JSON summary; with --docs it also rewrites docs/conformance.md.
// TOOLGATE_NODE picks the Node that runs toolgate and the upstream (default: this one).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..');
const SUITE = join(REPO, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const EVERYTHING = join(REPO, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const TOOLGATE = join(REPO, 'bin/toolgate.js');
const SERVER_NODE = process.env['TOOLGATE_NODE'] || process.execPath;

interface Check {
  readonly status: string;
  readonly name?: string;
  readonly errorMessage?: string;
}
interface Scenario {
  readonly passed: number;
  readonly failed: number;
  readonly firstFailure?: string;
}
type Results = Record<string, Scenario>;

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Starts a server process and resolves once its output shows it listens; returns a stopper. */
const startServer = (args: readonly string[], env: NodeJS.ProcessEnv, ready: RegExp) =>
  new Promise<{ output: () => string; stop: () => Promise<void> }>((resolve, reject) => {
    const child = spawn(SERVER_NODE, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('close', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${args.join(' ')} did not start in 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve({ output: () => output, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });

/** Runs every active server scenario against `url`; a failing scenario is a result, not an error. */
const runSuite = async (url: string): Promise<Results> => {
  const out = mkdtempSync(join(tmpdir(), 'toolgate-conformance-'));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [SUITE, 'server', '--url', url, '-o', out], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 180_000,
    });
    child.once('error', reject);
    child.once('close', (_code, signal) =>
      signal ? reject(new Error(`conformance suite killed by ${signal}`)) : resolve(),
    );
  });
  const results: Results = {};
  for (const dir of readdirSync(out).sort()) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT/.exec(dir)?.[1];
    if (!scenario) continue;
    const checks = JSON.parse(readFileSync(join(out, dir, 'checks.json'), 'utf8')) as Check[];
    const failures = checks.filter((c) => c.status === 'FAILURE');
    const first = failures[0];
    results[scenario] = {
      passed: checks.filter((c) => c.status === 'SUCCESS').length,
      failed: failures.length,
      ...(first && {
        firstFailure: `${first.name ?? ''}: ${first.errorMessage ?? ''}`.slice(0, 200),
      }),
    };
  }
  if (Object.keys(results).length === 0)
    throw new Error(`the conformance suite wrote no results to ${out}`);
  return results;
};

const direct = async (): Promise<Results> => {
  const port = await freePort();
  const server = await startServer(
    [EVERYTHING, 'streamableHttp'],
    { ...process.env, PORT: String(port) },
    /listening on port/,
  );
  try {
    return await runSuite(`http://127.0.0.1:${port}/mcp`);
  } finally {
    await server.stop();
  }
};

const throughToolgate = async (): Promise<Results> => {
  const config = join(mkdtempSync(join(tmpdir(), 'toolgate-conformance-')), 'toolgate.yaml');
  const upstream = {
    command: SERVER_NODE,
    args: [EVERYTHING, 'stdio'],
    tools: ['*'],
    prompts: ['*'],
    resources: ['*'],
    // The suite calls the server's own names (`test_simple_text`): a single-server gateway passes them unprefixed.
    namespace: false,
    // The suite checks sampling and elicitation round trips; the gateway denies them by default.
    allow: { sampling: true, elicitation: true, roots: true },
  };
  writeFileSync(config, JSON.stringify({ servers: { everything: upstream } }, null, 2));
  const server = await startServer(
    [TOOLGATE, 'serve', '--no-lock', '--config', config, '--listen', '127.0.0.1:0'],
    process.env,
    /"message":"gateway listening".*"url":"[^"]+"/,
  );
  try {
    const url = /"url":"([^"]+)"/.exec(server.output())?.[1] as string;
    return await runSuite(url);
  } finally {
    await server.stop();
  }
};

/** Why a scenario's result differs through the gateway, from what the suite reported. */
const explain = (viaGateway: Scenario | undefined, straight: Scenario | undefined): string => {
  const failure = viaGateway?.firstFailure ?? '';
  if (/has no server prefix/.test(failure))
    return "The suite calls the server's own names; configure the single upstream with `namespace: false`.";
  if (
    (viaGateway?.passed ?? 0) > (straight?.passed ?? 0) &&
    /rebinding/i.test(straight?.firstFailure ?? '')
  )
    return "toolgate's HTTP front validates Host/Origin (HTTP-2); the upstream server does not.";
  if ((viaGateway?.passed ?? 0) > (straight?.passed ?? 0))
    return `Better through toolgate; direct failure: ${straight?.firstFailure ?? '?'}`;
  return `Unexplained: ${failure || 'missing through toolgate'}`;
};

const total = (results: Results) => Object.values(results).reduce((n, s) => n + s.passed, 0);

const main = async () => {
  const [straight, gated] = [await direct(), await throughToolgate()];
  const scenarios = [...new Set([...Object.keys(straight), ...Object.keys(gated)])];
  const rows = scenarios.map((scenario) => {
    const d = straight[scenario];
    const g = gated[scenario];
    const same = d?.passed === g?.passed && d?.failed === g?.failed;
    return { scenario, direct: d, toolgate: g, note: same ? '' : explain(g, d) };
  });
  const summary = {
    node: process.version,
    serverNode: SERVER_NODE,
    directPassed: total(straight),
    toolgatePassed: total(gated),
    differing: rows.filter((r) => r.note).map((r) => ({ scenario: r.scenario, note: r.note })),
    rows,
  };
  if (process.argv.includes('--docs'))
    writeFileSync(join(REPO, 'docs/conformance.md'), toMarkdown(summary));
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
};

const cell = (s: Scenario | undefined) => (s ? `${s.passed}/${s.passed + s.failed}` : '–');

const toMarkdown = (summary: {
  node: string;
  directPassed: number;
  toolgatePassed: number;
  rows: {
    scenario: string;
    direct: Scenario | undefined;
    toolgate: Scenario | undefined;
    note: string;
  }[];
}): string => `# MCP conformance: direct vs through toolgate

Generated by \`scripts/conformance.ts --docs\` (suite \`@modelcontextprotocol/conformance\`, server
scenarios, Node ${summary.node}). The server is the official \`@modelcontextprotocol/server-everything\`:
**direct** in \`streamableHttp\` mode, **through toolgate** as a stdio upstream of \`toolgate serve\`
with \`namespace: false\`, \`tools\`, \`prompts\`, \`resources: ["*"]\` and sampling, elicitation and roots allowed.
Cells are passed/total checks. Many scenarios fail in both columns because they call the suite's own
reference tools (\`test_image_content\`, …), which server-everything does not have.

**Checks passed: ${summary.directPassed} direct, ${summary.toolgatePassed} through toolgate.**

| scenario | direct | through toolgate | note |
|---|---|---|---|
${summary.rows.map((r) => `| ${r.scenario} | ${cell(r.direct)} | ${cell(r.toolgate)} | ${r.note} |`).join('\n')}

What this does not show: the scenarios that need the suite's reference tools (sampling,
elicitation, progress, logging during a call, completions, embedded and binary content) fail in both
columns, so they exercise no gateway path; the suite's reference server is not published on npm.
The upstream is configured with \`namespace: false\` (a single-server gateway): the suite calls the server's
own names (\`test_simple_text\`), which a namespaced gateway would serve as \`everything__test_simple_text\`.

Regenerate: \`"$(bash scripts/install-node24.sh)/node" scripts/conformance.ts --docs\`.
\`test/e2e/conformance.test.ts\` runs the same comparison.
`;

await main();
