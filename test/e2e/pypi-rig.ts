import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './harness.js';

/**
 * A PEP 503 "simple" index on 127.0.0.1 serving wheels built in the test (PyPI is unreachable
 * here), and the environment that keeps pip to it: no pip.conf, no find-links of this machine.
 */

const SOURCES = join(ROOT, 'test/fixtures/python');

/** Builds a wheel from test/fixtures/python/<name> with the stdlib builder; returns its bytes. */
export const buildWheel = (
  name: string,
  options: { requires?: string; script?: string; extraFile?: string } = {},
): Buffer => {
  const out = mkdtempSync(join(tmpdir(), 'toolgate-wheel-'));
  let src = join(SOURCES, name);
  if (options.extraFile !== undefined) {
    // Same release, other bytes: a copy of the sources with one more file.
    const copy = join(out, 'src');
    execFileSync('cp', ['-r', src, copy]);
    execFileSync('sh', [
      '-c',
      `printf '%s' "$1" > "$2"`,
      'sh',
      options.extraFile,
      join(copy, name, 'extra.py'),
    ]);
    src = copy;
  }
  const wheels = join(out, 'wheels');
  mkdirSync(wheels);
  const args = [join(SOURCES, 'make_wheel.py'), name, '1.0.0', src, wheels];
  const path = execFileSync('python3', [...args, options.requires ?? '', options.script ?? ''], {
    encoding: 'utf8',
  }).trim();
  return readFileSync(path);
};

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export interface PypiIndex {
  readonly url: string;
  /** Files per project, mutable: `files.get('tinymcp').set(fileName, bytes)`. */
  readonly files: Map<string, Map<string, Buffer>>;
  /** Paths requested so far. */
  readonly requests: string[];
  close(): Promise<void>;
}

export const startIndex = async (): Promise<PypiIndex> => {
  const files = new Map<string, Map<string, Buffer>>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const [, simple, project, file] = path.split('/');
    const served = simple === 'simple' ? files.get(project ?? '') : undefined;
    if (served && (file === undefined || file === '')) {
      const links = [...served]
        .map(([name, data]) => `<a href="${name}#sha256=${sha256(data)}">${name}</a>`)
        .join('\n');
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body>${links}</body></html>`);
      return;
    }
    const data = file === undefined ? undefined : served?.get(decodeURIComponent(file));
    if (data === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(data);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/simple`,
    files,
    requests,
    close: () => new Promise((done) => server.close(() => done())),
  };
};

/** pip with no configuration of this machine (its pip.conf adds local indexes and constraints). */
export const PIP_ISOLATED = { PIP_CONFIG_FILE: '/dev/null', PIP_FIND_LINKS: '' };
