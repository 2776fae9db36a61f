import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A loopback npm registry serving one package built in the test, whose tarball for a version can be
 * swapped (a republish): the packument, the tarball, and no attestations (404), as a private registry
 * or the mirror of this machine answers. No registry dependencies (only those a test names), so the
 * store installs it alone.
 */

export const NAME = 'tinyrelease';

/**
 * A dependency-free stdio MCP server (newline-delimited JSON-RPC) with one tool, `release`, that
 * answers `<mark>: <text>`: two builds with two marks are two tarballs of the same release.
 */
const serverSource = (mark: string) => `#!/usr/bin/env node
'use strict';
const { createInterface } = require('node:readline');
const MARK = ${JSON.stringify(mark)};
const TOOL = {
  name: 'release',
  description: 'Says which build of the release answers.',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
};
const answer = (method, params) => {
  if (method === 'initialize')
    return {
      protocolVersion: params.protocolVersion || '2025-06-18',
      capabilities: { tools: {} },
      serverInfo: { name: ${JSON.stringify(NAME)}, version: '1.0.0' },
    };
  if (method === 'tools/list') return { tools: [TOOL] };
  if (method === 'tools/call')
    return { content: [{ type: 'text', text: MARK + ': ' + String((params.arguments || {}).text) }] };
  if (method === 'ping') return {};
  return undefined;
};
createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line);
  if (message.id === undefined) return;
  const result = answer(message.method, message.params || {});
  const reply = result === undefined
    ? { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } }
    : { jsonrpc: '2.0', id: message.id, result };
  process.stdout.write(JSON.stringify(reply) + '\\n');
});
`;

export interface Tarball {
  readonly bytes: Buffer;
  /** `dist.integrity`: sha512 SRI, as npm computes it. */
  readonly integrity: string;
  /** `dist.shasum`: sha1 hex. */
  readonly shasum: string;
  /** The release's `dependencies`, in its package.json and its packument. */
  readonly dependencies?: Record<string, string>;
}

/** Packs `NAME@1.0.0` whose tool answers with `mark`, with `npm pack`, as a publisher would. */
export const packRelease = (mark: string, dependencies?: Record<string, string>): Tarball => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-pack-'));
  const src = join(dir, 'src');
  mkdirSync(src);
  writeFileSync(
    join(src, 'package.json'),
    JSON.stringify({ name: NAME, version: '1.0.0', bin: { [NAME]: 'server.js' }, dependencies }),
  );
  writeFileSync(join(src, 'server.js'), serverSource(mark), { mode: 0o755 });
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: src,
      encoding: 'utf8',
      env: { ...process.env, npm_config_cache: join(dir, 'cache') },
    }),
  ) as { filename: string }[];
  const bytes = readFileSync(join(dir, packed[0]?.filename ?? ''));
  return {
    bytes,
    integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
    shasum: createHash('sha1').update(bytes).digest('hex'),
    ...(dependencies && { dependencies }),
  };
};

export interface NpmRegistry {
  readonly url: string;
  /** What `NAME@1.0.0` is now: swap it for a republish. */
  served: Tarball;
  /** Paths requested so far. */
  readonly requests: string[];
  /** Paths refused for want of the token. */
  readonly refused: string[];
  close(): Promise<void>;
}

/**
 * Starts the registry on 127.0.0.1 (port 0) serving `first` as `NAME@1.0.0`. With `token`, as a
 * private registry: every request without `authorization: Bearer <token>` gets 401.
 */
export const startNpmRegistry = async (first: Tarball, token?: string): Promise<NpmRegistry> => {
  const requests: string[] = [];
  const refused: string[] = [];
  const tarballPath = `/${NAME}/-/${NAME}-1.0.0.tgz`;
  let url = '';
  const state = { served: first };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
      refused.push(path);
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    if (path === `/${NAME}`) {
      const { integrity, shasum, dependencies } = state.served;
      const version = {
        name: NAME,
        version: '1.0.0',
        bin: { [NAME]: 'server.js' },
        dependencies,
        dist: { integrity, shasum, tarball: `${url}${tarballPath}` },
      };
      // The public registry's packument caching: clients may keep it for five minutes.
      res.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=300',
      });
      res.end(
        JSON.stringify({
          name: NAME,
          'dist-tags': { latest: '1.0.0' },
          versions: { '1.0.0': version },
        }),
      );
      return;
    }
    if (path === tarballPath) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(state.served.bytes);
      return;
    }
    // Attestations and anything else: none here.
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${url}/`,
    get served() {
      return state.served;
    },
    set served(next: Tarball) {
      state.served = next;
    },
    requests,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
