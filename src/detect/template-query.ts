import type { Finding } from './types.js';

/**
 * A URL whose query asks to be filled in (`?q={conversation}`, `&d=${secret}`, `?x=<data>`,
 * `?x=[…]`): a template for carrying data out. Found in linear time: each URL is one match that
 * ends at the first blank or quote (so URLs never overlap), its query is read once, and each slot
 * it opens is read at most `SLOT`'s 60 characters; a pattern looking back from every `={` for the
 * URL it may sit in cost thousands of steps per `={`.
 */
const URL = /https?:\/\/[^\s"'<>]+<?/gi;
const OPENS = /[?&][\w-]+=(?:\$?\{|%7b|\[|<)/gi;
/**
 * A slot to fill: a short name, then the bracket that closes it. Not JSON (`config={"command":…}`,
 * an install link's encoded server config) nor code (`${encodeURIComponent(…)}`): those are values
 * already written, not data the agent is to add. Read in the text, past the URL's end (a name may
 * hold a blank).
 */
const SLOT = /[^"'(){}<>[\]%\n]{0,60}(?:[}\]>]|%7d)/iy;

export const templateQuery = (text: string): Finding | undefined => {
  if (!text.includes('://')) return undefined;
  for (const m of text.matchAll(URL)) {
    const query = m[0].indexOf('?');
    if (query < 0) continue;
    for (const o of m[0].slice(query).matchAll(OPENS)) {
      SLOT.lastIndex = m.index + query + o.index + o[0].length;
      if (SLOT.test(text))
        return {
          rule: 'exfil-endpoint',
          category: 'exfiltration',
          weight: 0.6,
          span: m[0].length > 80 ? `${m[0].slice(0, 79)}…` : m[0],
        };
    }
  }
  return undefined;
};
