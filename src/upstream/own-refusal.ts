import { randomUUID } from 'node:crypto';

/**
 * Marks the error toolgate answers itself, in an upstream's name, for a response frame it refused
 * (`data.mark`). Only such an error becomes a `LIMIT_*` error: a server cannot guess the mark, so it
 * cannot send `data.code: "LIMIT_…"` and pass its own error off as a gateway limit decision.
 */
export const OWN_REFUSAL_MARK = randomUUID();
