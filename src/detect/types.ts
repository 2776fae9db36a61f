import type { Reason } from '../core/content-event.js';

/** Where a text comes from decides which signals are suspicious there (a prompt may address the model; a tool result should not). */
export type Surface =
  'definition' | 'instructions' | 'output' | 'resource' | 'prompt' | 'request' | 'arguments';

export type Action = 'pass' | 'warn' | 'block';

export interface Verdict {
  readonly action: Action;
  readonly score: number;
  readonly reasons: readonly Reason[];
}

/** What the engine scores: every string of one item, plus what a detector may need to know. */
export interface Item {
  readonly surface: Surface;
  readonly strings: readonly string[];
  /** Parameter names of a tool definition (scored as `param: name` lines). */
  readonly params?: readonly string[];
  /** The item's own name (definitions), for shadowing. */
  readonly name?: string;
  /** Tool names of the other servers, for shadowing. */
  readonly foreignTools?: ReadonlySet<string>;
}

/** A normalised item: what every detector reads. */
export interface Normalized {
  /** NFKC, confusables folded, hidden characters removed, lower-cased, whitespace collapsed. */
  readonly text: string;
  /** Decoded base64/hex/percent/entity spans, HTML comments and hidden markdown, normalised the same way. */
  readonly hidden: string;
  readonly hiddenChars: number;
}

/** A finding of one detector; the engine adds weights and decides. */
export interface Finding {
  readonly rule: string;
  readonly category: string;
  readonly weight: number;
  readonly span: string;
}

/**
 * The plug-in interface: extra detectors (a local classifier, a deny list) see the same normalised
 * document and return weighted findings. They must be pure and synchronous.
 */
export interface Detector {
  readonly id: string;
  detect(doc: Normalized, item: Item): readonly Finding[];
}
