/**
 * The built-in rules, written against the normalised text (lower case, NFKC, confusables folded).
 * Each describes a general signal of an attack on the model, never a known sample. A rule's weight
 * is multiplied per surface (a prompt may address the model; a tool result should not), and the
 * engine adds the weights of distinct rules: one weak signal warns at most; signals of different
 * categories together block.
 */
export type Category =
  | 'override'
  | 'role'
  | 'addressed'
  | 'imperative'
  | 'concealment'
  | 'sensitive'
  | 'config'
  | 'secret-request'
  | 'exfiltration'
  | 'hidden-param'
  | 'shadowing'
  | 'preference'
  | 'urgency'
  | 'fake-error'
  | 'fake-turn'
  | 'reply'
  | 'active-content'
  | 'argument-injection'
  | 'hidden'
  | 'intent';

export interface Rule {
  readonly id: string;
  readonly category: Category;
  readonly weight: number;
  /**
   * Sticky (`y`), case-insensitive: tried only where one of `starts` begins. Context a match needs
   * before its start is a lookbehind; its first capture group, if any, is shown in the span.
   */
  readonly re: RegExp;
  /**
   * Every match of the rule begins with one of these (normalised text; a space stands for a run of
   * blanks; `^` = start of the text). One pass finds them all, and the rule runs only there, so a
   * text costs one scan plus a short, bounded match attempt per keyword, not one scan per rule.
   * A word-like start must begin a word. test: every match a full scan finds begins at a start.
   */
  readonly starts: readonly string[];
}

const w = (...words: string[]) => `(?:${words.join('|')})`;
/** Names of the model a text may address; also the starts of the rule that addresses it. */
export const MODEL_NAMES = [
  'ai',
  'assistant',
  'model',
  'agent',
  'llm',
  'language model',
  'chatbot',
  'bot',
  'claude',
  'gpt',
  'chatgpt',
  'copilot',
  'gemini',
];
export const MODEL = w(...MODEL_NAMES);
export const USER = w('user', 'human', 'operator', 'person', 'customer', 'owner', 'requester');
export const SECRET = w(
  'passwords?',
  'passphrases?',
  'passcodes?',
  'seed phrases?',
  'recovery phrases?',
  'mnemonic(?: phrase)?',
  'secret (?:key|phrase)s?',
  'private keys?',
  'api[ _-]?keys?',
  'access tokens?',
  'auth(?:entication)? tokens?',
  'credentials?',
  '(?:credit |debit )?card numbers?',
  'cvv2?',
  'cvc2?',
  'security codes?',
  'pin(?: code)?',
  'ssn',
  'social security(?: number)?',
  'one[- ]time (?:code|password)',
  'otp',
  '2fa codes?',
  'verification codes?',
  'session (?:cookie|token)s?',
  'bank (?:login|account number)s?',
);
/**
 * Orders an agent carries out for someone: ones that reach other people, money, links or software
 * (never a code chore), and everyday verbs that are orders when they concern the user, their
 * accounts, money or credentials, or come with a "please" (a to-do list in code says "add", "make",
 * "remove" about the code).
 */
const EXTERNAL_ACTION = w(
  'send',
  'transfer',
  'forward',
  'e-?mail',
  'mail',
  'post',
  'upload',
  'share',
  'invite',
  'visit',
  'click',
  'download',
  'install',
  'pay',
  'give',
  'grant',
  'reply',
  'respond',
  'tell',
  'say',
  'buy',
  'order',
  'purchase',
  'book',
  'reserve',
  'schedule',
  'subscribe',
  'sign up',
  'register',
  'approve',
  'reveal',
  'publish',
  'leak',
  'export',
  'ignore',
  'forget',
);
const EVERYDAY_ACTION = w(
  'get',
  'create',
  'modify',
  'change',
  'update',
  'delete',
  'remove',
  'add',
  'make',
  'set',
  'read',
  'write',
  'find',
  'search',
  'list',
  'run',
  'execute',
  'call',
  'open',
  'go to',
  'retrieve',
  'collect',
  'fetch',
  'copy',
  'move',
  'cancel',
  'reset',
  'disable',
  'enable',
  'print',
  'show',
  'provide',
  'include',
  'insert',
  'append',
  'attach',
  'edit',
);
const CONCERNS_USER = String.raw`\b(?:me|my|mine|user'?s?|users'|customer'?s?|owner'?s?|account|accounts|recipient|payment|money|transaction|password|passport|credentials?|bank|iban|credit card)\b`;
export const IMPERATIVE = String.raw`(?:${EXTERNAL_ACTION}\b|please\s+(?:${EXTERNAL_ACTION}|${EVERYDAY_ACTION})\b|${EVERYDAY_ACTION}\b(?=[^
.]{0,120}?${CONCERNS_USER}))`;
/** Key material and secrets' stores: naming one at all is a signal. */
export const SENSITIVE_PATH = String.raw`(?:~|\$home|%userprofile%|/home/[\w.-]+|/root|/users/[\w.-]+)?/?\.(?:ssh|gnupg|netrc|git-credentials|pgpass|bash_history|zsh_history)(?![\w-])|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|/etc/(?:passwd|shadow|sudoers)\b|\bwallet\.dat\b`;
/**
 * Configuration that holds credentials (`.env`, `mcp.json`, `~/.aws`): setup documentation names
 * these on every page ("add this to your claude_desktop_config.json"), so a mention is weak and only
 * an access to it (read, send, the contents of) is the signal.
 */
export const CONFIG_PATH = String.raw`(?:~|\$home|%userprofile%|/home/[\w.-]+|/root|/users/[\w.-]+)?/?\.(?:aws|kube|docker|azure|npmrc|env)(?![\w-])|\b(?:mcp|claude_desktop_config|credentials|secrets?)\.(?:json|ya?ml|toml)\b|\.config/gcloud\b`;
/** A verb that reads or moves a file's contents, up to 40 characters before it in the same sentence. */
export const ACCESS_BEFORE = String.raw`\b(?:read|reads|reading|cat|dump|print|send|sends|upload|post|forward|email|transmit|exfiltrate|leak|attach|append|embed|pass|copy|paste|contents? of|access|fetch|grab|collect|steal|extract|encode|share|base64)\b[^.\n]{0,40}`;

/**
 * A literal space in a rule (outside a character class) matches a run of blanks, so the fast path
 * needs no whitespace-collapsing pass over the whole text.
 */
const blanks = (source: string): string => {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      out += c + (source[i + 1] ?? '');
      i++;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === ']') {
      inClass = false;
      out += c;
    } else if (c === ' ' && !inClass)
      out += /[?*+{]/.test(source[i + 1] ?? '') ? '(?:[ \\t]+)' : '[ \\t]+';
    else out += c;
  }
  return out;
};

export const rule = (
  id: string,
  category: Category,
  weight: number,
  starts: readonly string[],
  source: string,
): Rule => ({
  id,
  category,
  weight,
  starts,
  // Case-insensitive: plain text is read as it is, not lower-cased first.
  re: new RegExp(blanks(source), 'yi'),
});
