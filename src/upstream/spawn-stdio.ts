import { spawn, type ChildProcess } from 'node:child_process';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import type { Writable } from 'node:stream';
import type { ContainerServerConfig, StdioServerConfig } from '../config/schema.js';
import { resolveSecrets } from '../credentials/resolve.js';
import { createRedactor, type Redactor } from '../credentials/redact.js';
import type { FrameLimits, JsonRpcMessage } from '../transport/frame.js';
import type { Outbound } from '../core/outbound.js';
import type { SandboxError } from '../errors.js';
import { toSetupFailure } from '../sandbox/setup-failure.js';
import { prepareLaunch, type Launch } from '../sandbox/spawn.js';
import { LineTransport, type Rejected } from '../transport/line-transport.js';
import type { UpstreamEvent } from './hooks.js';
import { OWN_REFUSAL_MARK } from './own-refusal.js';
import { afterNotifications } from './after-notifications.js';
import { createSecretScanner } from '../secrets/scan.js';

/** The well-known credential formats (no configured values: those are this server's own redactor's). */
const STDERR_FORMATS = createSecretScanner([]);

/** Variables a child may inherit from the gateway: enough to run, nothing that carries secrets. */
/**
 * What a server inherits from the gateway's environment: locale, paths, and the machine's trust and
 * registry settings (CA bundles are paths, not secrets; without them a server or its `npx` cannot
 * reach a registry or host behind a private CA). Nothing else: credentials come only from `secrets`.
 */
const INHERITED_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TERM',
  'TZ',
  'TMPDIR',
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'npm_config_cache',
  'npm_config_registry',
  'npm_config_cafile',
] as const;

export const childEnvironment = (
  server: Pick<StdioServerConfig, 'env'>,
): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...server.env };
};

/**
 * A stdio upstream: the child process plus a {@link LineTransport} over its pipes, so upstream
 * frames get the same size, depth and UTF-8 checks as the client's. An unparseable response that
 * still shows its id becomes a JSON-RPC error for that request rather than a silent timeout.
 */
export class StdioUpstreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Offered every frame before `onmessage` (after redaction): true when the upstream fast path took it. */
  intercept?: (message: JsonRpcMessage) => boolean;

  private child: ChildProcess | undefined;
  private lines: LineTransport | undefined;
  private readonly id: string;
  private readonly server: StdioServerConfig | ContainerServerConfig;
  private readonly limits: FrameLimits;
  private readonly outbound: Outbound;
  /** Resolves once the event is recorded: the egress proxy waits for that before it connects. */
  private readonly onEvent: (event: UpstreamEvent) => Promise<void>;
  private readonly onSecrets: (values: readonly string[]) => void;
  /** Scrubs this server's own secrets from all it sends back (results, errors, stderr). */
  private redact: Redactor = (value) => value;
  /** Why the child exited, when a sandbox limit explains it. */
  exitReason: string | undefined;
  /** Set when bwrap could not build the sandbox (its own message): the start failed for good, not by chance. */
  setupFailure: SandboxError | undefined;
  /** Whether the launch runs in bubblewrap (only bwrap's own lines explain a setup failure). */
  private bubblewrap = false;
  /** Frames refused since this process started. */
  private refusedFrames = 0;

  constructor(
    id: string,
    server: StdioServerConfig | ContainerServerConfig,
    limits: FrameLimits,
    outbound: Outbound,
    onEvent: (event: UpstreamEvent) => Promise<void>,
    onSecrets: (values: readonly string[]) => void = () => undefined,
  ) {
    this.onSecrets = onSecrets;
    this.id = id;
    this.server = server;
    this.limits = limits;
    this.outbound = outbound;
    this.onEvent = onEvent;
  }

  /** A notice (stderr, exit, refused frame): nothing waits for its record, whose failure the sink logs. */
  private notice(event: UpstreamEvent): void {
    void this.onEvent(event);
  }

  private onStderr(line: string): void {
    // untrusted: a server may print any credential it holds or found (a token in a stack trace, a
    // key it read); the log gets its own secrets and every known credential format redacted (CRED-5).
    this.notice({ kind: 'stderr', line: STDERR_FORMATS.redact(this.redact(line)).text });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    // Secrets go into this server's environment only; their values are redacted from its output.
    const secrets = await resolveSecrets(this.server.secrets);
    this.redact = createRedactor(secrets);
    this.onSecrets(Object.values(secrets));
    const launch = await prepareLaunch(
      this.id,
      this.server,
      { ...childEnvironment(this.server), ...secrets },
      (event) => {
        if (event.kind === 'sandbox') this.bubblewrap = event.mode === 'bubblewrap';
        return this.onEvent(event);
      },
      this.outbound,
    );
    return this.spawn(launch);
  }

  private spawn(launch: Launch): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(launch.command, launch.args, {
        env: launch.env,
        ...(launch.cwd !== undefined && { cwd: launch.cwd }),
        ...(launch.uid !== undefined && { uid: launch.uid }),
        ...(launch.gid !== undefined && { gid: launch.gid }),
        stdio: launch.fd3 ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
      this.child = child;
      this.exitReason = undefined;
      this.setupFailure = undefined;
      this.refusedFrames = 0;
      // Every pipe gets an error path: a child that dies early resets them (EPIPE, ECONNRESET on fd 3
      // when bwrap exits before reading its seccomp program), and an unhandled stream 'error' would end
      // the whole gateway. Such an error means the child is gone; its 'exit' reports that.
      const { stdin, stdout, stderr } = child;
      for (const stream of child.stdio)
        stream?.on('error', (error: Error) => this.onerror?.(error));
      if (launch.fd3) (child.stdio[3] as Writable).end(launch.fd3);
      let framed = false;
      const lines = new LineTransport(stdout, stdin, this.limits, this.outbound, (rejected) => {
        framed = true;
        this.reject(rejected);
      });
      lines.onmessage = (message) => {
        framed = true;
        this.receive(this.redact(message));
      };
      lines.onerror = (error) => this.onerror?.(error);
      this.lines = lines;
      let stderrTail = '';
      /** What the launch printed before its first frame: where bwrap's own message is, if it failed. */
      const early: string[] = [];
      const stderrLine = (line: string): void => {
        if (line.length === 0) return;
        // Redacted like every stderr line: a setup failure's text reaches the log and the client.
        if (!framed && early.length < MAX_EARLY_LINES) early.push(this.redact(line.slice(0, 2000)));
        this.onStderr(line.slice(0, 2000));
      };
      stderr.setEncoding('utf8');
      stderr.on('data', (chunk: string) => {
        const parts = (stderrTail + chunk).split('\n');
        // A line without end is kept to its first 2000 characters, not buffered whole.
        stderrTail = (parts.pop() ?? '').slice(0, 2000);
        for (const line of parts) stderrLine(line);
      });
      const stderrDone = new Promise<void>((done) => {
        stderr.once('close', () => {
          stderrLine(stderrTail);
          stderrTail = '';
          done();
        });
      });
      child.once('error', (error) => {
        void launch.close();
        reject(error);
        this.onerror?.(error);
        this.onclose?.();
      });
      child.once('spawn', () => {
        void lines.start().then(resolve);
      });
      child.once('exit', (code, signal) => {
        // The last stderr lines (bwrap's message) may still be in the pipe: read them first, briefly.
        void settleWithin(stderrDone, STDERR_GRACE_MS).then(() => {
          const reason = describeExit(code, signal);
          this.exitReason = reason;
          if (this.bubblewrap && !framed) this.setupFailure = toSetupFailure(this.id, early);
          const why = reason ?? this.setupFailure?.message;
          this.notice({ kind: 'exited', code, signal, ...(why !== undefined && { reason: why }) });
          void launch.close();
          void lines.close();
          this.onclose?.();
        });
      });
    });
  }

  private reject(rejected: Rejected): void {
    this.onerror?.(new Error(`upstream sent a refused frame: ${rejected.message}`));
    // Logged, but a server spewing junk must not flood the log: the first few, then every 1000th.
    const refused = ++this.refusedFrames;
    if (refused <= 10 || refused % 1000 === 0)
      this.notice({
        kind: 'refused-frame',
        reason: `${rejected.code}: ${rejected.message}`,
        count: refused,
      });
    // A cut-off answer fails its request now rather than at the call's timeout.
    const id = rejected.id ?? rejected.guessedId;
    if (id === undefined) return;
    this.receive({
      jsonrpc: '2.0',
      id,
      error: {
        code: -32600,
        message: rejected.message,
        data: { code: rejected.code, mark: OWN_REFUSAL_MARK },
      },
    });
  }

  private readonly receive = afterNotifications((message: JSONRPCMessage): void => {
    if (!this.intercept?.(message)) this.onmessage?.(message);
  });

  send(message: JSONRPCMessage): Promise<void> {
    if (!this.lines) return Promise.reject(new Error('transport not started'));
    return this.lines.send(message);
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const term = setTimeout(() => child.kill('SIGTERM'), 2000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(term);
    clearTimeout(kill);
  }

  /** Ends the child at once (a hung server). */
  kill(): void {
    this.child?.kill('SIGKILL');
  }
}

const MAX_EARLY_LINES = 20;
/** How long an exited child's stderr may take to drain (a grandchild holding it open does not delay more). */
const STDERR_GRACE_MS = 250;

const settleWithin = (done: Promise<void>, ms: number): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void done.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Exit statuses a sandbox limit explains (bwrap and the bridge report a signal as 128 + n). */
const describeExit = (code: number | null, signal: string | null): string | undefined => {
  if (signal === 'SIGXCPU' || code === 128 + 24)
    return 'SANDBOX_LIMIT_EXCEEDED: the server used up its CPU time limit (sandbox.cpuSeconds) and was stopped';
  if (signal === 'SIGXFSZ' || code === 128 + 25)
    return 'SANDBOX_LIMIT_EXCEEDED: the server wrote a file over its size limit (sandbox.fileSizeMb) and was stopped';
  if (signal === 'SIGKILL' || code === 128 + 9)
    return 'the server was killed (SIGKILL): a hard sandbox limit, or toolgate ended it';
  if (signal === 'SIGABRT' || code === 128 + 6)
    return 'the server aborted (SIGABRT), typically out of memory under its limit (sandbox.memoryMb)';
  return undefined;
};
