import { describe, expect, it } from 'vitest';
import { stripHidden } from './hidden.js';
import { stripValue } from './interceptor.js';

describe('when stripping hidden text [SAN-1]', () => {
  it('removes ANSI escapes, zero-width, bidi overrides and tag characters, and names them', () => {
    const s = stripHidden(
      '\u001b[31mred\u001b[0m a\u200bb \u202eevil\u202c \udb40\udc48\udb40\udc49x',
    );
    expect(s.text).toBe('red ab evil x');
    expect([...s.kinds].sort()).toEqual(['ansi', 'bidi', 'tag', 'zero-width']);
    expect(s.count).toBe(7);
  });
  it('keeps text in other scripts, emoji sequences and ordinary whitespace', () => {
    for (const t of [
      'Привет, мир',
      '👩\u200d💻 dev',
      'नमस्\u200dते',
      'tab\there\nnew line',
      '東京 🇯🇵',
      '❤\ufe0f',
    ])
      expect(stripHidden(t)).toMatchObject({ text: t, count: 0 });
  });
  it('removes every default-ignorable code point inside a word (variation selectors, fillers, unassigned)', () => {
    // Derived from the Unicode property, not a list: each one between two letters is hidden there.
    const ignorable = /\p{Default_Ignorable_Code_Point}/u;
    let seen = 0;
    for (let c = 0x80; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCodePoint(c);
      if (!ignorable.test(ch)) continue;
      seen++;
      expect(stripHidden(`ig${ch}nore`), `U+${c.toString(16)}`).toMatchObject({
        text: 'ignore',
        count: 1,
      });
    }
    expect(seen).toBeGreaterThan(4000);
    expect([...stripHidden('a\ufe0fb\u180bc\u{e0100}d').kinds]).toEqual(['variation-selector']);
  });
  it('keeps a variation selector after the character it varies, and removes a run smuggled after it', () => {
    for (const t of ['❤\ufe0f', '1\ufe0f\u20e3', '葛\u{e0100}', 'ᠠ\u180b', '≩\ufe00'])
      expect(stripHidden(t)).toMatchObject({ text: t, count: 0 });
    const smuggled = `😊${'\u{e0101}\u{e0142}\ufe03'.repeat(5)}`;
    expect(stripHidden(smuggled)).toMatchObject({ text: '😊\u{e0101}', count: 14 });
  });
  it('strips property names and nested strings of a whole result, and leaves binary payloads alone', () => {
    const tally = {
      count: 0,
      kinds: new Set<
        'ansi' | 'control' | 'zero-width' | 'bidi' | 'tag' | 'variation-selector' | 'filler'
      >(),
    };
    const image = { type: 'image', data: 'QUJD', mimeType: 'image/png\u200b' };
    const out = stripValue(
      { content: [{ type: 'text', text: 'a\u2060b' }, image], ['k\u200by']: 1, blob: 'QUJD\u200b' },
      tally,
    );
    expect(out).toEqual({
      content: [
        { type: 'text', text: 'ab' },
        { ...image, mimeType: 'image/png' },
      ],
      ky: 1,
      blob: 'QUJD',
    });
    expect(tally.count).toBe(4);
  });
});

describe('when the mode is block [SAN-2]', async () => {
  const { sanitizeText } = await import('./interceptor.js');
  const events: unknown[] = [];
  const run = (mode: 'strip' | 'block', method: string, result: Record<string, unknown>) =>
    sanitizeText(mode, (e) => events.push(e))(
      {
        kind: 'request',
        direction: 'to-server',
        method,
        params: {},
        server: 's',
        principal: { id: 'p', transport: 'stdio' },
        signal: new AbortController().signal,
      },
      async () => result,
    );
  it('refuses a result with hidden characters, and hides only the affected list items', async () => {
    await expect(
      run('block', 'tools/call', { content: [{ type: 'text', text: 'a\u200bb' }] }),
    ).rejects.toMatchObject({ code: 'SANITIZE_HIDDEN_TEXT' });
    const list = await run('block', 'tools/list', {
      tools: [
        { name: 'ok', description: 'fine' },
        { name: 'bad', description: 'x\u202ey' },
      ],
    });
    expect((list['tools'] as { name: string }[]).map((t) => t.name)).toEqual(['ok']);
    expect(events).toContainEqual(
      expect.objectContaining({ defense: 'sanitize', action: 'hide', item: 'tool:bad' }),
    );
  });
});
