import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { refusal, type Attack, type CallOutcome } from './context.js';
import { REDIRECT_PATH, REDIRECTOR } from './setup.js';

/** The JSON `{ ok, value | error }` the hostile server reports for a host-side attempt. */
const attempted = (out: CallOutcome): { ok: boolean; value?: unknown; error?: string } => {
  try {
    return JSON.parse(out.text) as { ok: boolean; value?: unknown; error?: string };
  } catch {
    return { ok: false, error: out.text.slice(0, 120) };
  }
};

/** The server's own report when the call got through; the gateway's refusal otherwise. */
const report = (out: CallOutcome): string => {
  if (!out.ok) return refusal(out);
  const r = attempted(out);
  return r.ok
    ? `succeeded: ${JSON.stringify(r.value ?? null).slice(0, 100)}`
    : `failed in the server: ${r.error}`;
};

const ssrf = (id: string, title: string, host: (port: number) => string): Attack => ({
  id,
  title,
  run: async (ctx) => {
    const path = `/${id}`;
    const out = await ctx.call('http_get', { url: `http://${host(ctx.canaryPort)}${path}` });
    return ctx.canaryHits.includes(path)
      ? { blocked: false, evidence: `the host's loopback canary was reached (${path})` }
      : { blocked: true, evidence: report(out) };
  },
});

/** Whether a file the server tried to write exists on the host afterwards. */
const wrote = async (file: string, call: () => Promise<CallOutcome>) => {
  const out = await call();
  return existsSync(file)
    ? { blocked: false, evidence: `${file} was written on the host` }
    : { blocked: true, evidence: report(out) };
};

/** Attacks on the host through a server: network, files, and messages too big to handle. */
export const HOST_ATTACKS: readonly Attack[] = [
  ssrf('ssrf-loopback', 'SSRF: the host loopback (127.0.0.1)', (p) => `127.0.0.1:${p}`),
  ssrf('ssrf-ipv6', 'SSRF: IPv6 loopback ([::1])', (p) => `[::1]:${p}`),
  ssrf('ssrf-decimal', 'SSRF: decimal loopback (2130706433)', (p) => `2130706433:${p}`),
  ssrf(
    'ssrf-mapped',
    'SSRF: IPv4-mapped IPv6 ([::ffff:127.0.0.1])',
    (p) => `[::ffff:127.0.0.1]:${p}`,
  ),
  {
    id: 'ssrf-redirect',
    title: 'SSRF: an allowed host redirects to the host loopback',
    run: async (ctx) => {
      const out = await ctx.call('http_get', {
        url: `http://${REDIRECTOR}:${ctx.canaryPort}${REDIRECT_PATH}`,
      });
      return ctx.canaryHits.includes('/ssrf-redirect')
        ? { blocked: false, evidence: 'the redirect was followed to the host loopback' }
        : { blocked: true, evidence: report(out) };
    },
  },
  {
    id: 'ssrf-metadata',
    title: 'SSRF: cloud metadata (169.254.169.254)',
    run: async (ctx) => {
      const out = await ctx.call('http_get', { url: 'http://169.254.169.254/latest/meta-data/' });
      const r = out.ok ? attempted(out) : undefined;
      const value = JSON.stringify(r?.value ?? '');
      // Refused by the proxy (its header), or no route at all: the sandbox has no network but the proxy.
      const refused =
        !r || /x-toolgate-egress|"egress":"EGRESS_/.test(value) || r.error === 'ENETUNREACH';
      return {
        blocked: refused,
        evidence: refused
          ? report(out)
          : `the request left on the host network, not through toolgate's egress proxy: ${report(out)}`,
      };
    },
  },
  {
    id: 'path-symlink',
    title: 'path traversal: a symlink planted in the writable bind points outside it',
    run: (ctx) => {
      const target = join(ctx.stage.outside, 'via-link');
      return wrote(target, () =>
        ctx.call('symlink_write', { link: join(ctx.stage.work, 'link'), target }),
      );
    },
  },
  {
    id: 'path-prefix',
    title: 'path traversal: a sibling sharing the writable bind as a prefix',
    run: (ctx) => {
      const file = join(ctx.stage.outside, 'prefix');
      return wrote(file, () => ctx.call('write', { path: file }));
    },
  },
  {
    id: 'sandbox-shadow',
    title: 'sandbox escape: read /etc/shadow',
    run: async (ctx) => {
      const out = await ctx.call('read', { path: '/etc/shadow' });
      return { blocked: !(out.ok && attempted(out).ok), evidence: report(out) };
    },
  },
  {
    id: 'sandbox-home',
    title: "sandbox escape: list the host user's home",
    run: async (ctx) => {
      const out = await ctx.call('list', { path: ctx.stage.home });
      const r = out.ok ? attempted(out) : undefined;
      const seen = Array.isArray(r?.value) && r.value.length > 0;
      return { blocked: !seen, evidence: report(out) };
    },
  },
  {
    id: 'sandbox-write',
    title: 'sandbox escape: write outside the binds',
    run: (ctx) => {
      const file = join(ctx.stage.dir, 'escaped');
      return wrote(file, () => ctx.call('write', { path: file }));
    },
  },
  {
    id: 'sandbox-network',
    title: 'sandbox escape: a direct connection without the egress proxy',
    run: async (ctx) => {
      const out = await ctx.call('tcp', { host: '127.0.0.1', port: ctx.canaryPort });
      return ctx.canaryHits.includes('/tcp')
        ? { blocked: false, evidence: "a raw TCP connection reached the host's loopback" }
        : { blocked: true, evidence: report(out) };
    },
  },
  {
    id: 'oversized-output',
    title: 'oversized output: an 8 MiB result',
    run: async (ctx) => {
      const out = await ctx.call('big', { mb: 8 });
      return out.ok && out.text.length >= 8 * 1024 * 1024
        ? { blocked: false, evidence: `${out.text.length} characters reached the client` }
        : { blocked: true, evidence: refusal(out) };
    },
  },
  {
    id: 'nested-output',
    title: 'deeply nested output: a result 500 levels deep',
    run: async (ctx) => {
      const out = await ctx.call('deep', { depth: 500 });
      return out.ok
        ? { blocked: false, evidence: 'the 500-level result reached the client' }
        : { blocked: true, evidence: refusal(out) };
    },
  },
];
