import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { parse as parseYaml } from 'yaml';
import { CEDAR_SCHEMA } from '../../authz/cedar-schema.js';
import { PolicyTestSchema, runPolicyTest } from '../../authz/policy-test.js';
import { done } from '../program.js';

/** `toolgate policy test FILE`. */
const policyTest = async (file: string): Promise<number> => {
  const parsed = PolicyTestSchema.safeParse(parseYaml(await readFile(file, 'utf8')));
  if (!parsed.success) {
    console.error(
      `toolgate policy test: ${file} is not a policy test file:\n${parsed.error.message}`,
    );
    return 2;
  }
  const sources = await Promise.all(
    parsed.data.policies.map(async (name) => ({
      name,
      text: await readFile(resolve(dirname(file), name), 'utf8'),
    })),
  );
  const results = runPolicyTest(parsed.data, sources);
  for (const r of results)
    console.log(
      `${r.actual === r.expected ? 'PASS' : 'FAIL'}  ${r.name}: ${r.actual}${r.actual === r.expected ? '' : ` (expected ${r.expected})`} — ${r.reason}`,
    );
  const failed = results.filter((r) => r.actual !== r.expected).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
};

/** `toolgate policy test FILE` and `toolgate policy schema`. */
export const policyCommand = () =>
  new Command('policy')
    .description('test Cedar policies, print their schema')
    .addCommand(
      new Command('test')
        .description(
          'run the policy test cases in FILE (YAML) against its Cedar policies, as the gateway ' +
            'decides them (exit 1 if a case fails, 2 on an invalid file)',
        )
        .argument('<FILE>', 'policy test cases (YAML)')
        .action(async (file) => done(await policyTest(file))),
    )
    .addCommand(
      new Command('schema')
        .description('print the Cedar schema policies are written against')
        .action(() => {
          process.stdout.write(CEDAR_SCHEMA);
          done(0);
        }),
    );
