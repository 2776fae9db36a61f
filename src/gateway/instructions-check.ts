import { CONTENT_DEFAULTS } from '../config/content-schema.js';
import type { Config } from '../config/schema.js';
import type { ContentEventSink } from '../core/content-event.js';
import { checkInstructions, type SelfDescription } from '../detect/instructions.js';
import { engineOf } from './chain.js';

/** The check of every upstream's `initialize` (instructions, serverInfo), run at each (re)start; a throw refuses the server. */
export const createInstructionsCheck = (
  config: Config,
  emit: ContentEventSink = () => undefined,
): ((server: string, init: SelfDescription) => void) => {
  const detect = (config.content ?? CONTENT_DEFAULTS).detect;
  if (!detect.enabled) return () => undefined;
  return checkInstructions(engineOf(detect), detect.instructions, emit);
};
