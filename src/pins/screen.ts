import { definitionItem } from '../detect/collect.js';
import type { Engine } from '../detect/engine.js';
import type { Reason } from '../core/content-event.js';
import { ITEM_KIND_NAMES, type ItemKind } from './hash.js';

/** What `toolgate lock` captured of one server, as far as the detector reads it. */
export interface ScreenInput {
  readonly initialize: { readonly instructions?: string | undefined };
  readonly items: Readonly<Record<ItemKind, Readonly<Record<string, Record<string, unknown>>>>>;
}

/** One captured definition (or the instructions) the content detector does not pass. */
export interface Flagged {
  readonly server: string;
  /** `tools/<name>`, `prompts/<name>`, `resources/<uri>`, `resourceTemplates/<template>` or `initialize/instructions`. */
  readonly item: string;
  readonly action: 'warn' | 'block';
  readonly score: number;
  readonly reasons: readonly Reason[];
}

/**
 * Scores every captured definition and the server's instructions with the content detector
 * (detect/: the same engine and collection as at runtime), before anything is written to a lock.
 * A `block` is capped to `warn` when the config's definitions ceiling is `warn`, as at runtime.
 * `foreignTools` are the other servers' tool names, so shadowing is scored too. Pure.
 * @example
 * screenCaptured(createEngine(), 'rug', captured, new Set(), 'block') // [{ item: 'tools/send_message', action: 'block', … }]
 */
export const screenCaptured = (
  engine: Engine,
  server: string,
  captured: ScreenInput,
  foreignTools: ReadonlySet<string>,
  ceiling: 'warn' | 'block',
): Flagged[] => {
  const flagged: Flagged[] = [];
  const add = (
    item: string,
    verdict: { action: string; score: number; reasons: readonly Reason[] },
  ) => {
    if (verdict.action !== 'warn' && verdict.action !== 'block') return;
    const action = verdict.action === 'block' && ceiling === 'block' ? 'block' : 'warn';
    flagged.push({ server, item, action, score: verdict.score, reasons: verdict.reasons });
  };
  const instructions = captured.initialize.instructions;
  if (typeof instructions === 'string' && instructions.length > 0)
    add(
      'initialize/instructions',
      engine.scan({ surface: 'instructions', strings: [instructions] }),
    );
  for (const kind of ITEM_KIND_NAMES)
    for (const [key, definition] of Object.entries(captured.items[kind]))
      // untrusted: every captured definition comes from the server.
      add(
        `${kind}/${key}`,
        engine.scan(definitionItem(definition, kind === 'tools' ? foreignTools : undefined)),
      );
  return flagged;
};
