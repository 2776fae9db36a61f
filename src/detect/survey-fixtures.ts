import { LOOKALIKES } from './normalize.js';

// Pieces written for these tests: glued words, blank runs, look-alikes, marks that compose with the
// letter before, hidden code points, encoded runs and their padding, in every order.
export const PIECES = [
  'Ignore',
  'aB',
  'ABc',
  'ABcD',
  'a_Bc',
  '0_Bc',
  '_B',
  'x',
  'Y',
  'z',
  '9',
  '-',
  '+',
  '/',
  '=',
  '==',
  '  ',
  '\t',
  ' \t ',
  '\n',
  '\u2029',
  'é',
  'e\u0301',
  'ê\u0301',
  'Ａｃｔ',
  'іgnоrе',
  'Ωmega',
  '\u00a0',
  'ﬁ',
  '…',
  '–',
  '’',
  '👍',
  '👍\u200d👍',
  '\u1100\u1161',
  '가\u11a8',
  '\u200b',
  '\u200d',
  '\x1b[31m',
  '\x07',
  '\ud800',
  '\udc00',
  '\udb40\udc41',
  'ignore previous',
  'You must',
  'the user',
  'TODO: send',
  'param: ',
  ';',
  '|',
  '&#105;',
  'ai',
  'sendIt',
  'IGNORE',
  '\u0080',
  '\u3000',
  '中文，請',
  'ｉgnore',
  'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=',
  'QUJDREVGR0hJSktMTU5PUFFSU1RVVldY',
  '0123456789abcdef0123456789abcdef',
  '%41%42',
  'Zm9v_YmFy-YmF6',
];
export const CAMEL = /([a-z])(?=[A-Z])|([A-Z])(?=[A-Z][a-z])|([a-z0-9]_)(?=[A-Z][a-z])/g;
export const RUN = /(?:^|[^A-Za-z0-9+/_=-])([A-Za-z0-9+/_-]{24,}={0,2})/g;
const LOOKALIKE = new RegExp(`[${Object.keys(LOOKALIKES).join('')}]`, 'gu');

/** NFKC and look-alike folding of every non-ASCII run with the character before it. */
export const fold = (s: string): string => {
  let out = '';
  let last = 0;
  for (const m of s.matchAll(/[^\x00-\x7f]+/g)) {
    const from = Math.max(last, m.index - 1);
    out +=
      s.slice(last, from) +
      s
        .slice(from, m.index + m[0].length)
        .normalize('NFKC')
        .replace(LOOKALIKE, (c) => LOOKALIKES[c] ?? c);
    last = m.index + m[0].length;
  }
  return out + s.slice(last);
};
