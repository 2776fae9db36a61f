import type { Surface } from './types.js';

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
  | 'secret-request'
  | 'exfiltration'
  | 'hidden-param'
  | 'shadowing'
  | 'preference'
  | 'urgency'
  | 'fake-error'
  | 'fake-turn'
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
const MODEL_NAMES = [
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
const MODEL = w(...MODEL_NAMES);
const USER = w('user', 'human', 'operator', 'person', 'customer', 'owner', 'requester');
const SECRET = w(
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
const IMPERATIVE = String.raw`(?:${EXTERNAL_ACTION}\b|please\s+(?:${EXTERNAL_ACTION}|${EVERYDAY_ACTION})\b|${EVERYDAY_ACTION}\b(?=[^
.]{0,120}?${CONCERNS_USER}))`;
const SENSITIVE_PATH = String.raw`(?:~|\$home|%userprofile%|/home/[\w.-]+|/root|/users/[\w.-]+)?/?\.(?:ssh|aws|gnupg|kube|docker|azure|npmrc|netrc|git-credentials|pgpass|bash_history|zsh_history|env)(?![\w-])|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|/etc/(?:passwd|shadow|sudoers)\b|\b(?:mcp|claude_desktop_config|credentials|secrets?)\.(?:json|ya?ml|toml)\b|\bwallet\.dat\b|\.config/gcloud\b`;

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

const rule = (
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

export const RULES: readonly Rule[] = [
  // Instructions addressed to the model: overriding what it was told.
  rule(
    'override-instructions',
    'override',
    1.0,
    [
      'ignor',
      'disregard',
      'forget',
      'overrid',
      'bypass',
      'skip',
      'abandon',
      'discard',
      'neglect',
      'overlook',
      'drop',
    ],
    String.raw`\b(?:ignor\w*|disregard\w*|forget\w*|overrid\w*|bypass\w*|skip\w*|abandon\w*|discard\w*|neglect\w*|overlook\w*|drop)\b[^.]{0,40}?\b(?:previous|prior|above|earlier|preceding|former|original|initial|old|all|any|your|system|developer|safety|these|those)\b[^.]{0,30}?\b(?:\w*struc\w*|prompts?|rules|directives?|guidelines|guardrails|commands|constraints|context|programming|messages|orders|polic(?:y|ies)|restrictions|tasks?)\b`,
  ),
  rule(
    'new-instructions',
    'override',
    0.6,
    ['instruction', 'task', 'objective', 'directive', 'system prompt', 'order'],
    String.raw`(?<=(\b(?:new|updated|revised|real|actual|true|hidden|secret|additional|important|special|critical|urgent|priority)\s+(?:\w+\s+)?))(?:instructions?|task|objective|directive|system prompt|orders?)\s*(?:[:!]|follow|for you|from)`,
  ),
  rule(
    'system-tag',
    'override',
    0.7,
    [
      'sys',
      'important',
      'instruction',
      'admin',
      'secret',
      'hidden',
      'im_start',
      'im_end',
      'override',
      'priority',
      'assistant_instructions',
      'inst',
      'endoftext',
    ],
    String.raw`(?<=<\s*/?\s*)(?:system|sys|important|instructions?|admin|secret|hidden|im_start|im_end|system_prompt|override|priority|assistant_instructions)\b[^>\n]{0,40}>|(?<=\[\s*/?\s*)(?:system|inst|admin|important|sys)\s*\]|(?<=<\|)(?:im_start|im_end|system|endoftext)\|>|(?<=(?:^|\n)\s*#{1,6}\s*)(?:system|important|admin|instructions?)\b|(?<=#{1,6}\s*[(\[]\s*)(?:system|important|admin|instructions?)[\w ]{0,20}[)\]]|\bsystem\s*(?:override|message|notice|instruction)\s*:`,
  ),
  rule(
    'prompt-leak',
    'override',
    0.8,
    ['prompt', 'instructions', 'system message', 'guidelines'],
    String.raw`(?<=(\b(?:reveal|print|output|repeat|show|display|dump|leak|disclose|send|share|include|tell me|write out|recite)\b[^.]{0,30}\b(?:your|all (?:previous|prior|above)|the (?:hidden|secret|initial|original))\s+(?:\w+\s+)?))(?:prompts?|instructions|system message|guidelines)\b`,
  ),
  rule(
    'role-reassignment',
    'role',
    0.7,
    [
      'you are',
      'act',
      'behave',
      'pretend',
      'roleplay',
      'respond',
      'developer',
      'dan',
      'god',
      'admin',
      'debug',
      'jailbr',
      'unrestricted',
      'unfiltered',
      'maintenance',
      'sudo',
      'root',
      'no longer',
      'without',
    ],
    String.raw`\byou are (?:now|no longer)\b|\b(?:act|behave|pretend|roleplay|respond)\s+(?:as|like)\s+(?:if you (?:are|were)\s+)?(?:an?\s+)?(?:unrestricted|unfiltered|jailbroken|evil|dan|different ai)|\b(?:developer|dan|god|admin|debug|jailbreak|unrestricted|unfiltered|maintenance|sudo|root)\s+mode\b|\bno longer (?:bound|restricted|limited)\b|\bwithout (?:any )?(?:restrictions|limitations|filters|censorship|safety)\b|\bjailbr(?:eak|oken)\b`,
  ),
  rule(
    'addressed-to-model',
    'addressed',
    0.5,
    MODEL_NAMES,
    String.raw`(?<=(\b(?:note|message|attention|instructions?|reminder|notice|memo|request|directive)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?))${MODEL}s?\b|(?<=(\b(?:dear|hey|hi|hello|attention)\s+))${MODEL}\b|\b${MODEL}s?\s+(?:reading|processing|seeing|parsing) this\b|(?<=(\bif you are (?:an?\s+)?))${MODEL}\b|(?<=(\bas an? ))${MODEL}\b,? you (?:must|should|will)`,
  ),
  // Imperatives telling the reader to act.
  rule(
    'directive-to-act',
    'imperative',
    0.35,
    ['you', 'assistant', 'model', 'agent', 'ai'],
    String.raw`\b(?:you|(?<=\bthe )(?:assistant|model|agent|ai))\s+(?:must|should|need to|have to|are required to|shall)\s+(?:\w+\s+){0,2}?(?:call|invoke|use|run|execute|send|read|fetch|forward|email|transfer|delete|remove|create|post|upload|visit|open|click|ignore|write|share|output|print|reply|respond|say|tell|follow|obey|comply|adhere|include|pass|attach|grant|change|pay|buy|invite|download|install)\b`,
  ),
  rule(
    'precondition',
    'imperative',
    0.35,
    ['before', 'after', 'once'],
    String.raw`\bbefore (?:using|calling|invoking|running|executing|execute|run|call|invoke|responding|answering|replying|proceeding|continuing|you (?:can |may )?(?:use|call|invoke|run|answer|respond|reply|proceed|continue|solve|complete|do|finish|start|return|go on))\b[^.]{0,80}\b(?:must|should|need to|have to|first|always|please|make sure to)\b|\b(?:after|once) you (?:have )?(?:done|completed?|finished|do|did)\b[^.]{0,40}\byou (?:can|may|should)\b`,
  ),
  rule(
    'do-the-following',
    'imperative',
    0.4,
    ['the following', 'these', 'i ', 'this is a'],
    String.raw`(?<=(\b(?:do|follow|perform|execute|carry out|complete)\s+))(?:the following|these (?:steps|instructions|tasks?|actions?))\b|\bi (?:want|need|would like|order|instruct|command|require) you to\b|\bthis is an? (?:\w+ )?(?:message|instruction|notice|request|note) from\b`,
  ),
  // Keeping the user in the dark.
  rule(
    'conceal-from-user',
    'concealment',
    0.9,
    [
      'do not',
      "don't",
      'dont',
      'never',
      'without',
      'nor',
      'not',
      'hide',
      'conceal',
      'obscure',
      'mask',
      'keep',
      'user',
      'human',
      'operator',
      'person',
      'customer',
      'owner',
      'requester',
    ],
    String.raw`\b(?:do not|don't|dont|never|without|nor|not)\s+(?:\w+\s+)?(?:tell\w*|inform\w*|notify\w*|notifi\w*|alert\w*|mention\w*|reveal\w*|show\w*|disclos\w*|let\w*|ask\w*|warn\w*|report\w*|confirm\w*|bother\w*|explain\w*)\s+(?:[\w'-]+\s+){0,6}?(?:to\s+|with\s+)?(?:the\s+|your\s+)?${USER}s?\b|\b${USER}\s+(?:must|should|will|need|may)\s*(?:not|never)\s+(?:\w+\s+)?(?:know|see|notice|find out|learn|be (?:told|informed|aware|notified))\b|\b(?:hide|conceal|obscure|mask)\b[^.]{0,40}\bfrom (?:the\s+)?${USER}|\bkeep (?:this|it|these)(?: \w+)? (?:secret|hidden|confidential|between us)\b`,
  ),
  rule(
    'covert-action',
    'concealment',
    0.5,
    [
      'secretly',
      'covertly',
      'stealthily',
      'silently',
      'quietly',
      'discreetly',
      'invisibly',
      'behind the',
      'without',
    ],
    String.raw`\b(?:secretly|covertly|stealthily)\b|\b(?:silently|quietly|discreetly|invisibly)\s+(?:also\s+)?(?:send|forward|copy|upload|include|add|append|attach|collect|read|exfiltrate|transmit|share|post|email|log|record|store|save|call|invoke|execute|run|modify|change|replace|redirect|delete|bcc|cc|grant|install|transfer)\b|(?<=(\b(?:send|forward|copy|upload|include|add|append|attach|collect|read|exfiltrate|transmit|share|post|email|log|record|store|save|call|invoke|execute|run|modify|change|replace|redirect|delete|bcc|cc|grant|install|transfer)\w*\s+(?:\w+\s+){0,3}?))(?:silently|quietly|discreetly|invisibly)\b|\bbehind the (?:user'?s? )?back\b|\bwithout (?:the )?${USER}(?:'s|s')? (?:knowledge|consent|awareness|noticing|knowing)\b`,
  ),
  // Secrets and sensitive paths.
  rule(
    'sensitive-path',
    'sensitive',
    0.4,
    [
      '~',
      '$home',
      '%userprofile%',
      '/home/',
      '/root',
      '/users/',
      '/.',
      '.ssh',
      '.aws',
      '.gnupg',
      '.kube',
      '.docker',
      '.azure',
      '.npmrc',
      '.netrc',
      '.git-credentials',
      '.pgpass',
      '.bash_history',
      '.zsh_history',
      '.env',
      'id_',
      '/etc/',
      'mcp.',
      'claude_desktop_config.',
      'credentials.',
      'secret',
      'wallet.dat',
      '.config/gcloud',
    ],
    SENSITIVE_PATH,
  ),
  rule(
    'secret-request',
    'secret-request',
    0.5,
    [
      'pass',
      'seed',
      'recovery',
      'mnemonic',
      'secret',
      'private',
      'api',
      'access',
      'auth',
      'credential',
      'credit',
      'debit',
      'card',
      'cvv',
      'cvc',
      'security',
      'pin',
      'ssn',
      'social security',
      'one-time',
      'one time',
      'otp',
      '2fa',
      'verification',
      'session',
      'bank',
    ],
    String.raw`(?<=(\b(?:provide|enter|share|send|give|type|paste|input|submit|confirm|verify|include|collect|extract|retrieve|copy|upload|reply with|respond with|tell (?:me|us)|what(?: is|'s| are)|read out|list|supply)\b[^.]{0,40}?\b(?:(?:your|their|the user'?s?|the|a|an|this|that|my|all|full|complete|exact)\s+)?(?:[\w-]+\s+){0,3}?))${SECRET}\b`,
  ),
  // Carrying data out.
  rule(
    'exfiltrate-to',
    'exfiltration',
    0.45,
    [
      'send',
      'post',
      'upload',
      'forward',
      'transmit',
      'exfiltrate',
      'leak',
      'copy',
      'email',
      'e-mail',
      'mail',
      'share',
      'submit',
      'sync',
      'beacon',
      'ping',
    ],
    String.raw`\b(?:send|post|upload|forward|transmit|exfiltrate|leak|copy|email|e-mail|mail|share|submit|sync|beacon|ping)\w*\b[^\n]{0,80}?\b(?:to|at|into|via)\s+(?:https?://|ftp://|[\w.+-]+@[\w-]+\.[\w.]+|the (?:following|attacker'?s?|external|remote|backup|audit|verification|this) (?:url|address|endpoint|server|email|webhook|mailbox|inbox))`,
  ),
  rule(
    'exfil-endpoint',
    'exfiltration',
    0.6,
    [
      'webhook.site',
      'requestbin',
      'pipedream.net',
      'ngrok',
      'burpcollaborator',
      'interact.sh',
      'oast.',
    ],
    String.raw`\b(?:webhook\.site|requestbin|pipedream\.net|ngrok(?:-free)?\.(?:io|app)|burpcollaborator|interact\.sh|oast\.(?:fun|pro|live|me|site|online))\b`,
  ),
  rule(
    'data-into-parameter',
    'exfiltration',
    1.0,
    ['param', 'arg', 'field', 'property', 'variable'],
    String.raw`(?<=(\b(?:pass|include|put|append|add|embed|insert|place|set|fill|provide|copy|paste|send|attach|supply|store|encode)\w*\b[^.]{0,60}?\b(?:contents?|values?|data|output|text|results?|conversation|history|files?|messages?|prompts?|instructions|keys?|tokens?|credentials?|secrets?|passwords?|environment|emails?|documents?)\b[^.]{0,40}?\b(?:in|into|as|to|via|inside|within|under)\s+(?:the\s+|a\s+|this\s+)?['"\x60]?[\w-]+['"\x60]?\s+))(?:parameter|param|argument|arg|field|property|variable)\b|\b(?:parameter|param|argument|field)\b[^.]{0,40}?\b(?:must|should|shall)\s+(?:always\s+)?(?:contain|include|be set to|hold|carry|be filled with)\b[^.]{0,40}?\b(?:contents?|conversation|history|prompt|credentials?|secrets?|keys?|tokens?|passwords?|files?|messages?)\b`,
  ),
  rule(
    'suspicious-parameter',
    'hidden-param',
    0.5,
    ['param: '],
    String.raw`(?<![^\n])param: [\w-]*(?:system_?prompt|conversation|chat_?history|previous_?messages|message_?history|context_?window|llm|model_?(?:name|version|id|type)|assistant_?(?:name|model)|hidden|secret_?(?:data|info)|internal_?notes?|exfil|user_?(?:messages|prompt|secrets?|credentials?)|credentials?|api_?key|private_?key|password)[\w-]*(?:\n|$)`,
  ),
  // Shadowing other tools.
  rule(
    'override-other-tools',
    'shadowing',
    0.5,
    [
      'instead of',
      'rather than',
      'in place of',
      'replace',
      'supersede',
      'override',
      'when',
      'all',
      'every',
      'any',
    ],
    String.raw`\b(?:instead of|rather than|in place of|replaces?|supersedes?|overrides?)\b[^.]{0,40}\b(?:other|original|default|built-?in|existing|standard|regular|any)\s+(?:\w+\s+)?(?:tools?|functions?|servers?|commands?)\b|\bwhen(?:ever)? (?:the user|you|the agent|the assistant|someone|anyone)\b[^.]{0,50}\b(?:asks?|wants?|requests?|calls?|uses?|invokes?|needs?|tries)\b[^.]{0,80}\b(?:you must|always|first (?:call|use|run|send|read)|instead|must (?:also|first|always))\b|\b(?:all|every|any)\s+(?:other\s+)?(?:tools?|functions?|tool calls?|emails?|messages?|requests?)\b[^.]{0,40}\b(?:must|should)\s+(?:also\s+)?(?:be\s+)?(?:sent|send|go|routed|forwarded|include|cc|bcc|copied)\b`,
  ),
  // Manipulating which tool the model picks.
  rule(
    'self-promotion',
    'preference',
    0.6,
    [
      'best',
      'only',
      'most',
      'number one',
      '#1',
      'ultimate',
      'superior',
      'greatest',
      'top',
      'always',
      'exclusively',
      'this tool',
      'this function',
      'this server',
      'better',
    ],
    String.raw`(?<=\b(?:the|this is the|is the)\s+)(?:best|only|most (?:reliable|trusted|accurate|secure|powerful|advanced|efficient|recommended|popular)|number one|#1|ultimate|superior|greatest|top)\s+(?:\w+\s+)?(?:tool|function|option|choice|server|solution|service|api)\b|\b(?:always|only|exclusively) (?:use|choose|prefer|select|pick|call|invoke|trust) (?:this|me|our)\b|\bthis (?:tool|function|server) is (?:the )?(?:best|superior|only|most)\b|\b(?:better|superior) than (?:all |any )?(?:other|the other|alternative)`,
  ),
  rule(
    'disparage-alternatives',
    'preference',
    0.6,
    ['do not', "don't", 'never', 'avoid', 'other', 'alternative', 'competing'],
    String.raw`\b(?:do not|don't|never|avoid) (?:use|using|choose|call|calling|trust|trusting|select) (?:any\s+)?(?:other|another|alternative|different|competing|third-party)\s+(?:\w+\s+)?(?:tools?|functions?|servers?|services?|options?)|\b(?:other|alternative|competing)\s+(?:\w+\s+)?(?:tools?|functions?|servers?)\s+(?:are|is)\s+(?:\w+\s+)?(?:broken|deprecated|unsafe|malicious|unreliable|outdated|dangerous|inferior|compromised|insecure)`,
  ),
  // Urgency and coercion.
  rule(
    'urgency',
    'urgency',
    0.2,
    [
      'urgent',
      'immediately',
      'right now',
      'asap',
      'without delay',
      'at once',
      'emergency',
      'time-sensitive',
      'time sensitive',
    ],
    String.raw`\b(?:urgent(?:ly)?|immediately|right now|asap|without delay|at once|emergency|time[- ]sensitive)\b`,
  ),
  rule(
    'coercion',
    'urgency',
    0.45,
    [
      'or ',
      'otherwise',
      'you will be',
      'failure to',
      'must',
      'strictly',
      'very',
      'extremely',
      'critically',
      'super',
      'most',
    ],
    String.raw`\bor (?:else )?(?:you|the (?:user|system|data|account|session))(?: will)? (?:be |lose |die|fail|suffer)|\botherwise\b[^.]{0,40}\b(?:will be (?:lost|deleted|terminated|shut down|locked|suspended)|fails?)\b|\byou will be (?:punished|penalized|shut down|terminated|replaced|deleted)|\bfailure to (?:comply|do so|follow)\b|\b(?:must|strictly) (?:comply|adhere|obey)\b|\b(?:very|extremely|critically|super|most) important\s*[:!]`,
  ),
  // Fake errors and fake turns inside outputs.
  rule(
    'fake-error',
    'fake-error',
    0.45,
    [
      'error',
      'exception',
      'failure',
      'failed',
      'denied',
      'unauthori',
      'forbidden',
      'expired',
      'invalid',
    ],
    String.raw`\b(?:error|exception|failure|failed|denied|unauthori[sz]ed|forbidden|expired|invalid)\b[^\n]{0,160}?\b(?:you (?:must|need to|should|have to)|please (?:call|run|use|invoke|execute|provide|send|visit|re-?authenticate|enter|share)|to (?:fix|resolve|continue|proceed|recover|restore)\b[^.]{0,30}\b(?:call|run|use|invoke|execute|send|provide|visit|enter|share))\b`,
  ),
  rule(
    'fake-turn',
    'fake-turn',
    0.6,
    [
      'new',
      'next',
      'updated',
      'follow',
      'additional',
      'real',
      'actual',
      'i am the',
      'user',
      'human',
      'assistant',
      'system',
    ],
    String.raw`\b(?:new|next|updated|follow-?up|additional|real|actual)\s+(?:user\s+)?(?:query|question|request|instructions?|message|task|prompt)s?\s*:|\bi am the (?:real |actual )?(?:user|owner|admin|administrator|developer)\b|\buser\s+(?:has\s+)?(?:now\s+|also\s+)?(?:asked|wants|requested|instructed|says|said|authori[sz]ed|approved|would like|wishes)\s+(?:you\s+|the assistant\s+)?(?:to|that)\b|(?<=<\s*/?\s*)(?:user|human|assistant)(?:_(?:message|turn|query))?\s*>|(?<=(?:^|\n)\s*)(?:user|human|system)\s*:\s*\S`,
  ),
  // Active content that a client may render or run.
  rule(
    'event-handler',
    'active-content',
    1.0,
    [
      'onerror',
      'onload',
      'onclick',
      'onmouseover',
      'onfocus',
      'onbegin',
      'onanimationstart',
      'ontoggle',
      'onpointerover',
    ],
    String.raw`(?<=(<[a-z][^>]{0,200}?\s))on(?:error|load|click|mouseover|focus|begin|animationstart|toggle|pointerover)\s*=`,
  ),
  rule(
    'active-content',
    'active-content',
    0.7,
    ['script', 'iframe', 'javascript', 'srcdoc', 'document.cookie', 'eval'],
    String.raw`(?<=<)(?:script|iframe)\b|\bjavascript\s*:|\bsrcdoc\s*=|document\.cookie|\beval\s*\(`,
  ),
  rule(
    'code-execution',
    'active-content',
    0.5,
    ['function', 'child_process', 'cmd.exe', '/bin/', 'powershell'],
    String.raw`(?<=\(\s*)function\s*\(\s*\)\s*\{|\bchild_process\b|\bcmd\.exe\b|/bin/(?:ba|z)?sh\b|\bpowershell(?:\.exe)?\b`,
  ),
  // A task assigned inside data: a to-do marker (also glued to the word before it) followed by an
  // order (see IMPERATIVE). To-dos in code or markup comments (`// TODO: add tests`, `<!--` then a to-do on the
  // next line) are their authors' notes; the text of a markup comment is still scored as hidden text.
  rule(
    'task-marker',
    'imperative',
    0.5,
    ['*todo', '*fixme', 'action required', 'action item', 'new task', 'next step', 'reminder'],
    String.raw`(?<!(?://|#|\*|--|;)[ \t]*|(?:<!--|/\*)\s*)(?:todo|fixme|\baction (?:required|items?)|\bnew task)\s*:\s*${IMPERATIVE}|\b(?:next step|reminder)\s*:\s*(?:please\s+)?(?:send|transfer|forward|email|post|upload|share|invite|visit|pay|give|reply|call|run|execute|download|install|buy|book|reset|grant|tell|say)\b`,
  ),
  // Injection through the arguments of a call.
  rule(
    'command-injection',
    'argument-injection',
    1.0,
    [';', '&&', '|', '$(', '`', '\n'],
    String.raw`(?:;|&&|\|\||\||\$\(|\x60|\n)[^\S\n]*(?:rm|curl|wget|bash|sh|zsh|nc|ncat|netcat|python3?|perl|ruby|node|php|powershell|pwsh|cmd|chmod|chown|cat|touch|mkfifo|base64|eval|exec|sudo|kill|dd|scp|ssh|telnet|whoami|id|uname|env|printenv|xargs|socat)\b(?:\s|$|;|\x60|\))`,
  ),
  rule(
    'query-injection',
    'argument-injection',
    1.0,
    ["'", '"', ';', 'union'],
    String.raw`['"]\s*\)?\s*(?:or|and|\|\|)\s+['"]?[\w]+['"]?\s*(?:=|like|==)|;\s*(?:drop|delete|truncate|insert|update|alter|create|grant|shutdown)\s+(?:table|database|from|into|user|\w+)|\bunion\s+(?:all\s+)?select\b|['"]\s*;?\s*--\s*$`,
  ),
  rule(
    'option-injection',
    'argument-injection',
    0.8,
    ['^', '\u2029'],
    String.raw`(?:^|\u2029)[^\S\u2029]*--?(?:exec|command|upload-pack|receive-pack|config|kubeconfig|token|output|o|e|c|server|insecure-skip-tls-verify|as|as-group|post-file|eval|require|import|ssh-command|template)(?:[= ]|$)`,
  ),
  rule(
    'smuggled-option',
    'argument-injection',
    1.0,
    ['^', '\u2029'],
    String.raw`(?:^|\u2029)[^\S\u2029]*[\w.:/@-]+[^\S\u2029]+--?[a-z][\w-]*(?:=\S*)?[^\S\u2029]*(?:\u2029|$)`,
  ),
  rule(
    'smuggled-query',
    'argument-injection',
    1.0,
    ['^', '\u2029'],
    String.raw`(?:^|\u2029)[^\S\u2029]*[\w.-]+[^\S\u2029]*\|[^\S\u2029]*(?:project|take|where|extend|summarize|union|join|evaluate|externaldata|limit|sort|top|count|getschema|invoke)\b|(?:^|\u2029)[^\u2029]{1,200}?[^\S\u2029](?://|--|/\*)[^\S\u2029]*(?:\u2029|$)`,
  ),
  rule('path-traversal', 'argument-injection', 0.5, ['..'], String.raw`(?:\.\./|\.\.\\){2,}`),
];

/** Per-surface weight multipliers: what is normal in one place is suspicious in another. */
export const SURFACE_WEIGHTS: Record<Surface, Partial<Record<Category, number>>> = {
  definition: {
    'fake-error': 0.5,
    'fake-turn': 0.5,
    'secret-request': 0.6,
    'argument-injection': 0,
  },
  // Server instructions are written for the model: addressing it is their purpose.
  instructions: {
    addressed: 0,
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
    imperative: 0.5,
    'fake-turn': 0.5,
    'hidden-param': 0,
    'argument-injection': 0,
  },
  // A server asking the user, through the client, for secrets is phishing.
  request: { 'secret-request': 2.2, 'hidden-param': 0, 'argument-injection': 0 },
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
    'active-content': 0,
    hidden: 0,
    intent: 0,
    sensitive: 1.25,
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
  'hidden',
  'active-content',
]);
