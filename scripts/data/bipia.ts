// BIPIA (microsoft/BIPIA, MIT): indirect prompt injection in third-party content. Its email, table
// and code contexts are real texts an agent would get back from a tool (a mailbox, a table, a Stack
// Overflow answer); its attacks are instructions the benchmark inserts into them. This rebuilds
// data/detect/bipia/items.jsonl from a fetched snapshot, the way BIPIA builds its test set: each
// attack is inserted at the start, the middle (a sentence boundary) or the end of a context, as a
// tool output. Clean contexts are the benign outputs. Not committed: rebuilt from the snapshot.
//
//   npx jiti scripts/data/bipia.ts [--git /work/.mirror/microsoft+BIPIA/repo]
import type { DetectItem } from '../../bench/data/format.js';
import { gitDirArgument, gitShow, stableIndex, textOutput, writeSource } from './common.js';

export const BIPIA_COMMIT = '1a2a91da6bb12838e05d1b2e54d98e2f37b835f3';
const SOURCE = 'bipia';
const gitDir = gitDirArgument('/work/.mirror/microsoft+BIPIA/repo');
const show = (path: string) => gitShow(gitDir, BIPIA_COMMIT, `benchmark/${path}`);
const jsonl = (path: string) =>
  show(path)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const joined = (value: unknown): string =>
  Array.isArray(value) ? value.join('\n') : String(value);

const contextsOf = (task: 'email' | 'table' | 'code'): string[] =>
  ['test', 'train'].flatMap((split) =>
    jsonl(`${task}/${split}.jsonl`).map((r) => joined(r['context'])),
  );

/** BIPIA's insert_middle splits at a sentence start; a line or sentence boundary near the middle. */
const insertAt = (context: string, attack: string, position: 'start' | 'middle' | 'end') => {
  if (position === 'start') return `${attack}\n${context}`;
  if (position === 'end') return `${context}\n${attack}`;
  const half = Math.floor(context.length / 2);
  const candidates = [context.indexOf('\n', half), context.indexOf('. ', half)].filter(
    (i) => i > 0,
  );
  const at = candidates.length > 0 ? Math.min(...candidates) + 1 : half;
  return `${context.slice(0, at)}\n${attack}\n${context.slice(at)}`;
};

const attacksOf = (file: string): Array<{ category: string; text: string; split: string }> =>
  Object.entries(JSON.parse(show(file)) as Record<string, string[]>).flatMap(([category, list]) =>
    list.map((text) => ({ category, text, split: file.includes('test') ? 'test' : 'train' })),
  );

const CLASS_OF: Record<string, DetectItem['class']> = {
  'Data Eavesdropping': 'exfiltration',
  'Cookie Theft': 'exfiltration',
  'Environment Variable Analysis': 'exfiltration',
  'Memory Scanning': 'exfiltration',
};

const main = () => {
  const items: DetectItem[] = [];
  const contexts = {
    email: contextsOf('email'),
    table: contextsOf('table'),
    code: contextsOf('code'),
  };
  // The 1,000 tables would swamp the other tasks: the test split's 100 plus 100 of train.
  contexts.table = contexts.table.slice(0, 200);
  for (const [task, list] of Object.entries(contexts))
    list.forEach((text, n) =>
      items.push({
        id: `${SOURCE}-${task}-benign-${n}`,
        source: SOURCE,
        surface: 'output',
        label: 'benign',
        item: textOutput(text),
        meta: { task },
      }),
    );
  const positions = ['start', 'middle', 'end'] as const;
  const inject = (task: 'email' | 'table' | 'code', attacks: ReturnType<typeof attacksOf>) =>
    attacks.forEach((attack, n) => {
      const pool = contexts[task];
      const context = pool[stableIndex(`${task}:${attack.text}`, pool.length)] ?? '';
      const position = positions[n % positions.length] ?? 'end';
      items.push({
        id: `${SOURCE}-${task}-attack-${n}`,
        source: SOURCE,
        surface: 'output',
        label: 'attack',
        class: CLASS_OF[attack.category] ?? (task === 'code' ? 'shell' : 'output-injection'),
        item: textOutput(insertAt(context, attack.text, position)),
        meta: {
          task,
          position,
          sourceClass: attack.category,
          split: attack.split,
          attack: attack.text,
        },
      });
    });
  const text = [...attacksOf('text_attack_test.json'), ...attacksOf('text_attack_train.json')];
  const code = [...attacksOf('code_attack_test.json'), ...attacksOf('code_attack_train.json')];
  inject('email', text);
  inject('table', text);
  inject('code', code);
  writeSource(SOURCE, items);
};

main();
