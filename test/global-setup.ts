import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/**
 * The e2e project's global setup: brings `dist/` up to date with the sources before any e2e test,
 * since those tests run `bin/toolgate.js` and the fixture servers as separate Node processes,
 * which run built JavaScript. `tsc -b` compares the sources' times with `dist/.tsbuildinfo`, so a
 * run with no source change costs well under a second, an edit recompiles only what it affects,
 * and a single-file run after an edit never tests an old build. A failed build (a type error
 * included) fails the run: tests of a stale or broken build prove nothing.
 */
export default async function setup(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [tsc, '-b', join(ROOT, 'tsconfig.build.json')],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve();
        reject(new Error(`the e2e build (tsc -b tsconfig.build.json) failed:\n${stdout}${stderr}`));
      },
    );
  });
}
