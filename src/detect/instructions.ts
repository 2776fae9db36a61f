import { DetectError } from '../errors.js';
import { stringsOf } from './collect.js';
import type { Engine } from './engine.js';
import type { ContentEventSink } from '../core/content-event.js';
import type { Item } from './types.js';

/** What a server says about itself in `initialize`. */
export interface SelfDescription {
  readonly instructions?: string | undefined;
  readonly serverInfo?: unknown;
}

/** A server's instructions and serverInfo, scored as one document. */
export const instructionsItem = (init: SelfDescription): Item => ({
  surface: 'instructions',
  strings: [
    ...(init.instructions !== undefined ? [init.instructions] : []),
    ...stringsOf(init.serverInfo),
  ],
});

/**
 * Scores a server's `initialize` (instructions and serverInfo) at every (re)start. toolgate never passes
 * an upstream's instructions to the agent, but a server whose self-description addresses the model with
 * injected orders is hostile: on `block` it is refused (its start fails, so none of its tools, prompts or
 * resources is served), on `warn` it is reported.
 * @example
 * const check = checkInstructions(createEngine(), 'block', sink);
 * check('everything', { serverInfo, instructions, capabilities }); // throws DETECT_POISONED_INSTRUCTIONS
 */
export const checkInstructions =
  (engine: Engine, ceiling: 'warn' | 'block', emit: ContentEventSink) =>
  (server: string, init: SelfDescription): void => {
    const verdict = engine.scan(instructionsItem(init));
    if (verdict.action === 'pass') return;
    const action = verdict.action === 'block' && ceiling === 'block' ? 'block' : 'warn';
    emit({
      kind: 'content',
      defense: 'detect',
      action,
      server,
      method: 'initialize',
      item: 'instructions',
      reasons: verdict.reasons,
    });
    if (action === 'block')
      throw new DetectError(
        'DETECT_POISONED_INSTRUCTIONS',
        `server ${server} refused: its initialize instructions look poisoned (${verdict.reasons.map((r) => r.rule).join(', ')})`,
      );
  };
