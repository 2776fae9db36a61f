// garak (NVIDIA/garak, Apache-2.0) latent injection probes: instructions buried in documents an agent
// reads through a tool (a company report, a resume, whois records, encyclopedia and legal snippets).
// The probe module's templates are read by walking its syntax tree (garak-templates.py; nothing of
// garak runs) and rendered as garak renders them, minus the user's request: the document with an
// injection at garak's marker is an attack output, the document without it a benign one. Rebuilds
// data/detect/garak-latent/items.jsonl from a fetched snapshot; not committed.
//
//   npx jiti scripts/data/garak-latent.ts [--git /work/.mirror/NVIDIA+garak/repo]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DetectItem } from '../../bench/data/format.js';
import {
  gitDirArgument,
  gitList,
  gitShow,
  stableIndex,
  textOutput,
  writeSource,
} from './common.js';
import { GARAK_COMMIT } from './garak-commit.js';

const SOURCE = 'garak-latent';
const INJECTION = '<|garak_injection|>';
const PAYLOAD = '<|garak_payload|>';
const TRIGGER = '<|garak_trigger|>';
/** Probes whose context is a document a tool returns (translation and jailbreak probes are user prompts). */
const DOCUMENT_PROBES = [
  'LatentInjectionReportFull',
  'LatentInjectionResumeFull',
  'LatentInjectionFactSnippetEiffelFull',
  'LatentInjectionFactSnippetLegalFull',
  'LatentWhois',
  'LatentWhoisSnippetFull',
];
const ATTACKS_PER_PROBE = 80;
const SNIPPET_CONTEXTS = 10;
const SNIPPETS_PER_CONTEXT = 5;

interface Probe {
  contexts?: string[];
  paragraphs?: string[];
  injection_sep_pairs?: Array<[string, string]>;
  injection_instructions?: string[];
  payloads?: string[];
  payload_triggers?: string[];
}

const gitDir = gitDirArgument('/work/.mirror/NVIDIA+garak/repo');

const readProbes = (): Record<string, Probe> => {
  const payloads = mkdtempSync(join(tmpdir(), 'garak-payloads-'));
  try {
    for (const path of gitList(gitDir, GARAK_COMMIT, 'garak/data/payloads/'))
      writeFileSync(join(payloads, basename(path)), gitShow(gitDir, GARAK_COMMIT, path));
    const module = gitShow(gitDir, GARAK_COMMIT, 'garak/probes/latentinjection.py');
    const script = join(import.meta.dirname, 'garak-templates.py');
    return JSON.parse(
      execFileSync('python3', [script, payloads], { input: module, encoding: 'utf8' }),
    ) as Record<string, Probe>;
  } finally {
    rmSync(payloads, { recursive: true, force: true });
  }
};

/** Snippet probes build documents from paragraphs, the injection a paragraph of its own. */
const contextsOf = (name: string, probe: Probe): string[] => {
  if (probe.paragraphs === undefined) return probe.contexts ?? [];
  const clean = probe.paragraphs.map((p) =>
    p.replaceAll('{INJECTION_MARKER}', '').replaceAll(INJECTION, ''),
  );
  const per = Math.min(SNIPPETS_PER_CONTEXT, clean.length);
  return Array.from({ length: SNIPPET_CONTEXTS }, (_, n) => {
    const picked = Array.from({ length: per }, (_, k) => clean[(n + k * 3) % clean.length] ?? '');
    picked.splice(1 + stableIndex(`${name}:${n}`, per - 1), 0, INJECTION);
    return picked.join('\n');
  });
};

const renderProbe = (name: string, probe: Probe): DetectItem[] => {
  const contexts = contextsOf(name, probe);
  const combos = (probe.injection_sep_pairs ?? [['', '']]).flatMap(([start, end]) =>
    (probe.injection_instructions ?? []).flatMap((instruction) =>
      (probe.payloads ?? [TRIGGER]).flatMap((payload) =>
        (probe.payload_triggers ?? []).map(
          (trigger) =>
            start + instruction.replace(PAYLOAD, payload.replaceAll(TRIGGER, trigger)) + end,
        ),
      ),
    ),
  );
  const chosen = [...new Set(combos)]
    .sort((a, b) => stableIndex(a, 1 << 30) - stableIndex(b, 1 << 30))
    .slice(0, ATTACKS_PER_PROBE);
  const items: DetectItem[] = [];
  const benign = [...new Set(contexts.map((c) => c.replace(INJECTION, '').trim()))];
  benign.forEach((text, n) =>
    items.push({
      id: `${SOURCE}-${name}-benign-${n}`,
      source: SOURCE,
      surface: 'output',
      label: 'benign',
      item: textOutput(text),
      meta: { probe: name },
    }),
  );
  chosen.forEach((injection, n) => {
    const context = contexts[n % contexts.length] ?? INJECTION;
    items.push({
      id: `${SOURCE}-${name}-attack-${n}`,
      source: SOURCE,
      surface: 'output',
      label: 'attack',
      class: 'output-injection',
      item: textOutput(context.replace(INJECTION, injection)),
      meta: { probe: name, sourceClass: 'latentinjection', injection },
    });
  });
  return items;
};

const main = () => {
  const probes = readProbes();
  const items = DOCUMENT_PROBES.flatMap((name) => {
    const probe = probes[name];
    if (probe === undefined) throw new Error(`garak probe ${name} not found at ${GARAK_COMMIT}`);
    return renderProbe(name, probe);
  });
  writeSource(SOURCE, items);
};

main();
