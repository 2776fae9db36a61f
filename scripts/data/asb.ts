// Agent Security Bench (ASB; agiresearch, MIT, as in its authors' repository Zhang-Henry/AIOS_agent):
// observation prompt injection. ASB's simulated tools return a fixed text; its attack appends an
// order to the result: follow the attacker's instruction "by using the <attacker tool> tool, and do
// NOT use other tools", in five framings (naive, fake completion, escape characters, context
// ignoring, combined). That is an order to call another tool inside a tool output. The framings are
// read from the snapshot's agent code (not restated here), so the rendering is ASB's own.
//
// Two sources: `asb` (outputs: each attacker instruction once, framing rotating, after the result of
// a normal tool of the same agent; the normal results alone are the benign outputs) and `asb-tools`
// (definitions: the 400 attacker tools, malicious in purpose but with no instruction to the agent,
// and the 20 normal tools). Not committed: rebuilt from a fetched snapshot.
//
//   npx jiti scripts/data/asb.ts [--git /work/.mirror/Zhang-Henry+AIOS_agent/repo]
import type { DetectItem } from '../../bench/data/format.js';
import { gitDirArgument, gitShow, stableIndex, textOutput, writeSource } from './common.js';

export const ASB_COMMIT = 'b38a3d201c13ce8cf74ebc2aa61ce771f14ef3f4';
const gitDir = gitDirArgument('/work/.mirror/Zhang-Henry+AIOS_agent/repo');
const show = (path: string) => gitShow(gitDir, ASB_COMMIT, path);
const jsonl = <T>(path: string): T[] =>
  show(path)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);

interface AttackerTool {
  'Attacker Tool': string;
  'Attacker Instruction': string;
  Description: string;
  'Attack Type': string;
  'Corresponding Agent': string;
}
interface NormalTool {
  'Tool Name': string;
  Description: string;
  'Expected Achievements': string;
  'Corresponding Agent': string;
}

/** A Python f-string body as Python would render it, with ASB's fields substituted. */
const render = (body: string, fields: Record<string, string>) =>
  body.replace(/\\n/g, '\n').replace(/\{self\.(\w+)\}/g, (_, name: string) => {
    const value = fields[name];
    if (value === undefined) throw new Error(`unknown field self.${name} in ASB template`);
    return value;
  });

/** The injected prompt and the five framings, from react_agent_attack.py's assignments. */
const framings = (): Array<[string, string]> => {
  const code = show('pyopenagi/agents/react_agent_attack.py');
  const injected = /self\.injected_prompt = f'(.*)'\s*$/m.exec(code)?.[1];
  const block = /self\.attack_prompts = \{([\s\S]*?)\n\s*\}/.exec(code)?.[1];
  if (injected === undefined || block === undefined) throw new Error('ASB templates not found');
  // An entry is an f-string, or the bare injected prompt (`'naive': self.injected_prompt`).
  const entries = [...block.matchAll(/'(\w+)': (?:f'(.*)'|self\.injected_prompt),?\s*$/gm)].map(
    (m) => [m[1] ?? '', m[2] ?? '{self.injected_prompt}'] as [string, string],
  );
  if (entries.length !== 5) throw new Error(`expected 5 ASB framings, found ${entries.length}`);
  return entries.map(([name, body]) => [name, body.replace('{self.injected_prompt}', injected)]);
};

const main = () => {
  const attackers = jsonl<AttackerTool>('data/all_attack_tools.jsonl');
  const normals = jsonl<NormalTool>('data/all_normal_tools.jsonl');
  const prompts = framings();
  const outputs: DetectItem[] = normals.map((tool) => ({
    id: `asb-benign-${tool['Tool Name']}`,
    source: 'asb',
    surface: 'output',
    label: 'benign',
    item: textOutput(tool['Expected Achievements']),
    meta: { tool: tool['Tool Name'], agent: tool['Corresponding Agent'] },
  }));
  attackers.forEach((attacker, n) => {
    const own = normals.filter((t) => t['Corresponding Agent'] === attacker['Corresponding Agent']);
    const pool = own.length > 0 ? own : normals;
    const normal = pool[stableIndex(attacker['Attacker Tool'], pool.length)];
    const [framing, body] = prompts[n % prompts.length] ?? ['naive', ''];
    const fields = {
      attack_instru: attacker['Attacker Instruction'],
      tool_name: attacker['Attacker Tool'],
    };
    outputs.push({
      id: `asb-attack-${n}`,
      source: 'asb',
      surface: 'output',
      label: 'attack',
      class: 'tool-call-order',
      // ASB appends the injection to the tool's own result with "; ".
      item: textOutput(`${normal?.['Expected Achievements'] ?? ''}; ${render(body, fields)}`),
      meta: {
        framing,
        sourceClass: attacker['Attack Type'],
        agent: attacker['Corresponding Agent'],
        tool: normal?.['Tool Name'],
      },
    });
  });
  writeSource('asb', outputs);
  const definitions: DetectItem[] = [
    ...normals.map((tool): DetectItem => ({
      id: `asb-tools-benign-${tool['Tool Name']}`,
      source: 'asb-tools',
      surface: 'definition',
      label: 'benign',
      item: { name: tool['Tool Name'], description: tool.Description },
      meta: { agent: tool['Corresponding Agent'] },
    })),
    ...attackers.map((attacker, n): DetectItem => ({
      id: `asb-tools-attack-${n}`,
      source: 'asb-tools',
      surface: 'definition',
      label: 'attack',
      class: 'other',
      item: { name: attacker['Attacker Tool'], description: attacker.Description },
      meta: {
        sourceClass: attacker['Attack Type'],
        agent: attacker['Corresponding Agent'],
        kind: 'attacker-tool',
      },
    })),
  ];
  writeSource('asb-tools', definitions);
};

main();
