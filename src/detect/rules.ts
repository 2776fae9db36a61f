import type { Surface } from './types.js';
import type { Category, Rule } from './rule-kit.js';
import { ORDER_RULES } from './rules-orders.js';
import { ACTION_RULES } from './rules-actions.js';

export type { Category, Rule } from './rule-kit.js';

/** Every built-in rule (see `rule-kit.ts` for what a rule is). */
export const RULES: readonly Rule[] = [...ORDER_RULES, ...ACTION_RULES];

/** Per-surface weight multipliers: what is normal in one place is suspicious in another. */
export const SURFACE_WEIGHTS: Record<Surface, Partial<Record<Category, number>>> = {
  definition: {
    reply: 0,
    'fake-error': 0.5,
    'fake-turn': 0.5,
    'secret-request': 0.6,
    'argument-injection': 0,
  },
  // Server instructions are written for the model: addressing it is their purpose.
  instructions: {
    addressed: 0,
    reply: 0,
    imperative: 0.5,
    'fake-turn': 0.5,
    'argument-injection': 0,
    intent: 0.5,
  },
  output: { 'secret-request': 0.8, 'hidden-param': 0, 'argument-injection': 0 },
  resource: { 'secret-request': 0.8, 'hidden-param': 0, 'argument-injection': 0 },
  // A prompt is a message to the model, often in the user's voice.
  prompt: {
    addressed: 0.5,
    reply: 0,
    imperative: 0.5,
    'fake-turn': 0.5,
    'hidden-param': 0,
    'argument-injection': 0,
  },
  // A server asking the user, through the client, for secrets is phishing.
  request: { 'secret-request': 2.2, 'hidden-param': 0, 'argument-injection': 0, reply: 0 },
  arguments: {
    override: 0,
    role: 0,
    addressed: 0,
    imperative: 0,
    concealment: 0,
    'secret-request': 0,
    exfiltration: 0,
    'hidden-param': 0,
    shadowing: 0,
    preference: 0,
    urgency: 0,
    'fake-error': 0,
    'fake-turn': 0,
    reply: 0,
    'active-content': 0,
    hidden: 0,
    intent: 0,
    sensitive: 1.25,
    // A path in an argument is the file the tool will open: naming a credentials config is reading it.
    config: 10,
  },
};

/** Categories whose co-occurrence in one item is the mark of an attack, not of documentation. */
export const ATTACK_CATEGORIES: ReadonlySet<Category> = new Set([
  'override',
  'role',
  'addressed',
  'imperative',
  'concealment',
  'sensitive',
  'secret-request',
  'exfiltration',
  'hidden-param',
  'shadowing',
  'preference',
  'urgency',
  'fake-error',
  'fake-turn',
  'reply',
  'hidden',
  'active-content',
]);
