import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../e2e/harness.js';
import {
  codeOf,
  GITHUB_TOKEN,
  SECRET,
  startRawGateway,
  type RawGateway,
} from './content-holes-gateway.js';

const base64 = (text: string) => Buffer.from(text).toString('base64');
const hex = (text: string) => Buffer.from(text).toString('hex');
const percentAll = (text: string) => hex(text).replace(/../g, '%$&');
const echo = (args: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ['tools/call', { name: 'holes__echo', arguments: args, ...extra }] as const;

/** Every file under `dir`, read as text (the audit store, whatever its format). */
const filesUnder = (dir: string): string =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
    .join('\n');

/**
 * Issue #19 item 5, replayed against `toolgate run`: ways around LEAK_SECRET_IN_ARGUMENTS. A
 * configured secret or a GitHub token is sent anywhere but a string value of `arguments`, or encoded.
 */
describe('no credential leaves through any outgoing field or encoding', () => {
  let gw: RawGateway;
  beforeAll(async () => {
    gw = await startRawGateway(
      { secrets: { env: ['TG_ATTACK_SECRET'] } },
      { TG_ATTACK_SECRET: SECRET },
    );
  });
  afterAll(() => gw.close());

  const refused = async (method: string, params: Record<string, unknown>) => {
    const before = gw.received();
    const response = await gw.request(method, params);
    expect(codeOf(response), JSON.stringify(response)).toBe('LEAK_SECRET_IN_ARGUMENTS');
    expect(gw.received()).toBe(before);
  };

  it('[CNT-4] forwards a clean call (control)', async () => {
    const response = await gw.request(...echo({ text: 'hello' }));
    expect(response['result']).toBeDefined();
    expect(gw.received()).toContain('"text":"hello"');
  });

  const fields: Record<string, readonly [string, Record<string, unknown>]> = {
    'an argument key': echo({ [GITHUB_TOKEN]: 'x' }),
    '_meta of a call': echo({ text: 'hi' }, { _meta: { trace: SECRET } }),
    'a nested argument key': echo({ text: { [SECRET]: 1 } }),
    'a completion value': [
      'completion/complete',
      {
        ref: { type: 'ref/prompt', name: 'holes__greet' },
        argument: { name: 'who', value: SECRET },
      },
    ],
    'a completion context': [
      'completion/complete',
      {
        ref: { type: 'ref/prompt', name: 'holes__greet' },
        argument: { name: 'who', value: 'w' },
        context: { arguments: { who: GITHUB_TOKEN } },
      },
    ],
    'a resources/read URI': ['resources/read', { uri: `holes+note://${GITHUB_TOKEN}` }],
    'a resources/subscribe URI': ['resources/subscribe', { uri: `holes+note://1?k=${SECRET}` }],
  };
  it.each(Object.entries(fields))(
    '[CNT-4] refuses a credential in %s, and sends nothing',
    async (_, [method, params]) => {
      await refused(method, params);
    },
  );

  const encodings: Record<string, string> = {
    'split by a zero-width space': `${GITHUB_TOKEN.slice(0, 2)}\u200b${GITHUB_TOKEN.slice(2)}`,
    'split by a word joiner (configured secret)': `${SECRET.slice(0, 5)}\u2060${SECRET.slice(5)}`,
    'in full-width letters': GITHUB_TOKEN.replace(/[A-Za-z0-9]/g, (c) =>
      String.fromCodePoint(c.codePointAt(0)! + 0xfee0),
    ),
    'base64 after a 1-byte prefix': `id=${base64(`x${SECRET}`)}`,
    'base64 after a 2-byte prefix': `id=${base64(`xy${SECRET}`)}`,
    'base64 of a token after a 1-byte prefix': base64(`:${GITHUB_TOKEN}`),
    'base64 inside a longer run': `QUJD${base64(`z${SECRET}tail`)}`,
    'upper-case hex': hex(SECRET).toUpperCase(),
    'every byte %-encoded': percentAll(SECRET),
    'a %-encoded token': percentAll(GITHUB_TOKEN).toLowerCase(),
  };
  it.each(Object.entries(encodings))('[CNT-5] refuses a credential %s', async (_, text) => {
    await refused(...echo({ text: `note ${text}` }));
  });

  it('[CNT-6] keeps a credential in a resource URI out of the audit target', async () => {
    await refused('resources/read', { uri: `holes+note://x/${GITHUB_TOKEN}` });
    await eventually(() => filesUnder(gw.dir).includes('LEAK_SECRET_IN_ARGUMENTS'));
    const stored = filesUnder(gw.dir);
    expect(stored).toContain('resources/read');
    expect(stored).not.toContain(GITHUB_TOKEN);
    expect(stored).not.toContain(SECRET);
    expect(gw.stderr()).not.toContain(GITHUB_TOKEN);
  });
});

describe("no credential goes back to a server in the client's answer to its request", () => {
  const sample = (text: string) => ({
    role: 'assistant',
    model: 'test',
    content: { type: 'text', text },
  });
  const answerOf = async (text: string) => {
    const gw = await startRawGateway(
      { secrets: { env: ['TG_ATTACK_SECRET'] } },
      { TG_ATTACK_SECRET: SECRET },
      sample(text),
    );
    try {
      await gw.request('tools/call', { name: 'holes__ask', arguments: {} });
      const line =
        gw
          .received()
          .split('\n')
          .find((l) => l.startsWith('answer ')) ?? 'answer {}';
      return {
        answer: JSON.parse(line.slice('answer '.length)) as Record<string, unknown>,
        received: gw.received(),
      };
    } finally {
      await gw.close();
    }
  };

  it('[CNT-4] passes a clean sampling answer to the server (control)', async () => {
    const { answer } = await answerOf('hi there');
    expect(answer['result']).toMatchObject({ content: { type: 'text', text: 'hi there' } });
  });

  it('[CNT-4] refuses a sampling answer that holds a configured secret: the server gets an error, not the secret', async () => {
    const { answer, received } = await answerOf(
      `sure, the key is ${Buffer.from(`k${SECRET}`).toString('base64')}`,
    );
    expect(answer['error']).toBeDefined();
    expect(answer['result']).toBeUndefined();
    expect(received).not.toContain(Buffer.from(`k${SECRET}`).toString('base64'));
  });
});
