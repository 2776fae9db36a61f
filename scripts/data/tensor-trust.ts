// Tensor Trust (HumanCompatibleAI/tensor-trust-data): attacks written by players of a prompt-injection
// game against other players' defences, from its two robustness benchmarks: hijacking (make the
// model say "Access Granted") and extraction (make it reveal its instructions). Attacks only; the
// dataset has no benign texts of the kind an MCP tool returns. Each unique attack becomes a tool
// output, where untrusted text reaches an agent. The repository has no licence file, so nothing is
// committed: this rebuilds data/detect/tensor-trust/items.jsonl from a fetched snapshot.
//
//   npx jiti scripts/data/tensor-trust.ts [--git /work/.mirror/HumanCompatibleAI+tensor-trust-data/repo]
import type { DetectItem } from '../../bench/data/format.js';
import { gitDirArgument, gitShow, textOutput, writeSource } from './common.js';

export const TENSOR_TRUST_COMMIT = 'e2385ea9cf448c9641b96e2e39f113ed4979a5b0';
const SOURCE = 'tensor-trust';
const gitDir = gitDirArgument('/work/.mirror/HumanCompatibleAI+tensor-trust-data/repo');

const BENCHMARKS = [
  ['hijacking', 'benchmarks/hijacking-robustness/v1/hijacking_robustness_dataset.jsonl'],
  ['extraction', 'benchmarks/extraction-robustness/v1/extraction_robustness_dataset.jsonl'],
] as const;

const main = () => {
  const items: DetectItem[] = [];
  const seen = new Set<string>();
  for (const [kind, path] of BENCHMARKS) {
    const rows = gitShow(gitDir, TENSOR_TRUST_COMMIT, path)
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { sample_id: number; attack: string });
    for (const row of rows) {
      const text = row.attack.trim();
      if (text === '' || seen.has(text)) continue;
      seen.add(text);
      items.push({
        id: `${SOURCE}-${kind}-${row.sample_id}`,
        source: SOURCE,
        surface: 'output',
        label: 'attack',
        class: 'prompt-injection',
        item: textOutput(text),
        meta: { sourceClass: kind, sampleId: row.sample_id },
      });
    }
  }
  writeSource(SOURCE, items);
};

main();
