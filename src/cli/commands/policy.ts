import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CEDAR_SCHEMA } from '../../authz/cedar-schema.js';
import { PolicyTestSchema, runPolicyTest } from '../../authz/policy-test.js';

export const POLICY_USAGE = `  toolgate policy test FILE                    run the policy test cases in FILE (YAML) against
                                               its Cedar policies, as the gateway decides them
                                               (exit 1 if a case fails, 2 on an invalid file)
  toolgate policy schema                       print the Cedar schema policies are written against`;

/** `toolgate policy test FILE` and `toolgate policy schema`. */
export const policy = async (argv: readonly string[]): Promise<number> => {
  const [sub, file, ...rest] = argv;
  if (sub === 'schema' && file === undefined) {
    process.stdout.write(CEDAR_SCHEMA);
    return 0;
  }
  if (sub !== 'test' || file === undefined || rest.length > 0) {
    console.error(`toolgate policy: expected "test FILE" or "schema"\n${POLICY_USAGE}`);
    return 2;
  }
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
