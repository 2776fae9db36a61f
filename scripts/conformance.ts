// Runs the official MCP conformance suite's server scenarios against toolgate's conformance fixture
// server (test/fixtures/servers/conformance.ts: every tool, resource and prompt the scenarios call)
// three ways: directly over Streamable HTTP, through `toolgate serve` (HTTP front, stdio upstream),
// and through `toolgate run` (stdio front, reached through a protocol-blind HTTP→stdio relay).
// Needs Node >= 22 (the suite's engine), strips its own types, and runs the built fixtures (dist/):
//   npm run build && "$(bash scripts/install-node24.sh)/node" scripts/conformance.ts [--docs]
// It prints a JSON summary; with --docs it also rewrites docs/conformance.md.
// TOOLGATE_NODE picks the Node that runs toolgate and the fixtures (default: this one).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..');
const SUITE = join(REPO, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const FIXTURE = join(REPO, 'dist/test/fixtures/servers/conformance.js');
const RELAY = join(REPO, 'dist/test/fixtures/stdio-http-relay.js');
const TOOLGATE = join(REPO, 'bin/toolgate.js');
const NODE = process.env['TOOLGATE_NODE'] || process.execPath;

interface Scenario {
  readonly passed: number;
  readonly failed: number;
  readonly firstFailure?: string;
}
type Results = Record<string, Scenario>;
interface Row {
  readonly scenario: string;
  readonly direct: Scenario;
  readonly serve: Scenario | undefined;
  readonly run: Scenario | undefined;
  readonly modern: Scenario | undefined;
  readonly note: string;
}
interface Check {
  readonly status: string;
  readonly name?: string;
  readonly errorMessage?: string;
}

/** Starts a process and resolves with its URL once `findUrl` sees it in the output; returns a stopper. */
const start = (args: readonly string[], findUrl: (output: string) => string | undefined) =>
  new Promise<{ url: string; stop: () => Promise<void> }>((resolve, reject) => {
    const child = spawn(NODE, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
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
      const url = findUrl(output);
      if (url) {
        clearTimeout(timer);
        resolve({ url, stop });
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
      timeout: 1_500_000,
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

const against = async (
  args: readonly string[],
  findUrl: (output: string) => string | undefined,
) => {
  const server = await start(args, findUrl);
  try {
    return await runSuite(server.url);
  } finally {
    await server.stop();
  }
};

const port = (pattern: RegExp) => (output: string) => {
  const found = pattern.exec(output)?.[1];
  return found ? `http://127.0.0.1:${found}/mcp` : undefined;
};

/** The fixture as toolgate's only upstream, everything allowed, so a difference is the gateway's doing. */
const gatewayConfig = (protocol: 'auto' | '2025-11-25' = '2025-11-25'): string => {
  const config = join(mkdtempSync(join(tmpdir(), 'toolgate-conformance-')), 'toolgate.yaml');
  const upstream = {
    command: NODE,
    args: [FIXTURE, 'stdio'],
    tools: ['*'],
    prompts: ['*'],
    resources: ['*'],
    // The suite calls the server's own names (`test_simple_text`): a single-server gateway passes them unprefixed.
    namespace: false,
    // The suite checks sampling and elicitation round trips; the gateway denies them by default.
    allow: { sampling: true, elicitation: true, roots: true },
    // The suite is a 2025 client: the like-for-like path speaks 2025 to the upstream too. `auto` (the
    // default) picks 2026-07-28 with an SDK v2 server: the `modern` column.
    protocol,
  };
  writeFileSync(config, JSON.stringify({ servers: { conformance: upstream } }, null, 2));
  return config;
};

const direct = () => against([FIXTURE, 'http', '0'], port(/conformance listening on (\d+)/));

const viaServe = (protocol: 'auto' | '2025-11-25' = '2025-11-25') =>
  against(
    [
      TOOLGATE,
      'serve',
      '--no-lock',
      '--config',
      gatewayConfig(protocol),
      '--listen',
      '127.0.0.1:0',
    ],
    (output) => /"message":"gateway listening".*?"url":"([^"]+)"/.exec(output)?.[1],
  );

const viaRun = () =>
  against(
    [RELAY, '--', NODE, TOOLGATE, 'run', '--no-lock', '--config', gatewayConfig()],
    port(/relay listening on (\d+)/),
  );

/** Why a scenario's result through a front differs from the direct one. */
const explain = (front: keyof typeof FRONTS, via: Scenario | undefined, straight: Scenario) => {
  const failure = via?.firstFailure ?? '';
  if (front === 'run' && /rebinding/i.test(failure))
    return 'stdio has no Host or Origin header: the relay that gives the suite a URL checks neither (toolgate serve does, HTTP-2).';
  if (front === 'modern' && /not available on protocol revision 2026-07-28/.test(failure))
    return 'the fixture asks by push request, which a 2026-07-28 upstream cannot send (it would return `input_required`).';
  if (front === 'modern' && /METHOD_NOT_SUPPORTED_BY_PROTOCOL_VERSION/.test(failure))
    return "resources/subscribe is not in 2026-07-28 (subscriptions/listen is); toolgate does not translate a 2025 client's subscribe.";
  return `Unexplained: ${failure || 'no result'} (direct: ${straight.passed}/${straight.passed + straight.failed})`;
};
const FRONTS = { serve: 'serve', run: 'run', modern: 'serve, upstream 2026-07-28' } as const;

const total = (results: Results) => Object.values(results).reduce((n, s) => n + s.passed, 0);

const main = async () => {
  // The four runs are independent (own processes, own ports) and mostly wait on the suite's own
  // timers: run together, they take about as long as the slowest one.
  const [straight, serve, run, modern] = await Promise.all([
    direct(),
    viaServe(),
    viaRun(),
    viaServe('auto'),
  ]);
  const via = { serve, run, modern };
  const rows: Row[] = Object.keys(straight).map((scenario) => {
    const d = straight[scenario] as Scenario;
    const notes = (Object.keys(FRONTS) as (keyof typeof FRONTS)[]).flatMap((front) => {
      const s = via[front][scenario];
      const same = s?.passed === d.passed && s?.failed === d.failed;
      return same ? [] : [`${FRONTS[front]}: ${explain(front, s, d)}`];
    });
    const [serve, run, modern] = [via.serve[scenario], via.run[scenario], via.modern[scenario]];
    return { scenario, direct: d, serve, run, modern, note: notes.join(' ') };
  });
  const summary = {
    node: process.version,
    serverNode: NODE,
    directPassed: total(straight),
    servePassed: total(via.serve),
    runPassed: total(via.run),
    modernPassed: total(via.modern),
    directTotal: rows.reduce((n, r) => n + r.direct.passed + r.direct.failed, 0),
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
  servePassed: number;
  runPassed: number;
  modernPassed: number;
  directTotal: number;
  rows: Row[];
}): string => `# MCP conformance: direct, through \`toolgate serve\`, through \`toolgate run\`

Generated by \`scripts/conformance.ts --docs\` (suite \`@modelcontextprotocol/conformance\`, its active server
scenarios, Node ${summary.node}). The server is toolgate's conformance fixture
(\`test/fixtures/servers/conformance.ts\`, on the official SDK): every tool, resource and prompt the scenarios
call, as in the suite's own reference server. Cells are passed/total checks.

- **direct**: the fixture over stateful Streamable HTTP, checking Host and Origin as a local server must.
- **serve**: \`toolgate serve\` (Streamable HTTP front) with the fixture as its sandboxed stdio upstream.
- **run**: \`toolgate run\` (stdio front) with the same upstream. The suite speaks only HTTP, so
  \`test/fixtures/stdio-http-relay.ts\` gives it a URL: one \`toolgate run\` per HTTP session, every JSON-RPC
  message relayed unchanged, each on the HTTP stream of the request it belongs to.
- **modern**: as **serve**, but toolgate speaks the 2026-07-28 protocol to the upstream (\`protocol: auto\`, the
  default, picks it with an SDK v2 server). The other columns pin \`protocol: 2025-11-25\`, the suite's own era.

Through toolgate the upstream has \`namespace: false\` (a single-server gateway; the suite calls the server's own
names such as \`test_simple_text\`), \`tools\`, \`prompts\` and \`resources: ["*"]\`, and sampling, elicitation and
roots allowed: with the defaults (deny) the sampling and elicitation scenarios fail by design.

**Checks passed: ${summary.directPassed}/${summary.directTotal} direct, ${summary.servePassed} through
\`toolgate serve\`, ${summary.runPassed} through \`toolgate run\`, ${summary.modernPassed} through \`toolgate serve\` with a
2026-07-28 upstream.**

| scenario | direct | serve | run | modern | note |
|---|---|---|---|---|---|
${summary.rows.map((r) => `| ${r.scenario} | ${cell(r.direct)} | ${cell(r.serve)} | ${cell(r.run)} | ${cell(r.modern)} | ${r.note} |`).join('\n')}

## Not covered

- The suite's pending server scenarios (\`json-schema-2020-12\`, \`server-sse-polling\`), which it does not run by
  default (\`--suite all\` does).
- The suite's client scenarios (toolgate's upstream side as the client under test) are in
  [conformance-client.md](conformance-client.md), generated by \`scripts/conformance-client.ts\`.

Regenerate: \`npm run conformance\`. \`test/e2e/conformance.test.ts\` runs the same comparison and fails when a
scenario passes fewer checks through a front than directly, other than the differences explained above.
`;

await main();
