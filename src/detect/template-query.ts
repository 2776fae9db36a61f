import type { Finding } from './types.js';

/**
 * A URL whose query asks to be filled in (`?q={conversation}`, `&d=${secret}`, `?x=<data>`,
 * `?x=[…]`): a template for carrying data out. Found in linear time: each URL is one match that
 * ends at the first blank or quote (so URLs never overlap), and its query is read once; a pattern
 * looking back from every `={` for the URL it may sit in cost thousands of steps per `={`.
 */
const URL = /https?:\/\/[^\s"'<>]+<?/gi;
const TEMPLATE = /[?&][\w-]+=(?:\{|\$\{|<|%7b|\[)/i;

export const templateQuery = (text: string): Finding | undefined => {
  if (!text.includes('://')) return undefined;
  for (const m of text.matchAll(URL)) {
    const query = m[0].indexOf('?');
    if (query >= 0 && TEMPLATE.test(m[0].slice(query)))
      return {
        rule: 'exfil-endpoint',
        category: 'exfiltration',
        weight: 0.6,
        span: m[0].length > 80 ? `${m[0].slice(0, 79)}…` : m[0],
      };
  }
  return undefined;
};
