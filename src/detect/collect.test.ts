import { describe, expect, it } from 'vitest';
import { definitionItem, stringsOf } from './collect.js';

describe('when the detector collects the strings of an item', () => {
  it('[CNT-1] reads data, type, mimeType and _meta, nested too, but not base64 binary payloads', () => {
    const strings = stringsOf({
      content: [
        { type: 'image', data: 'aGk=', mimeType: 'image/png' },
        { type: 'text', text: 't', _meta: { note: 'm' } },
      ],
      structuredContent: { data: { summary: 's' } },
      contents: [{ uri: 'u', blob: 'aGk=' }],
    });
    expect(strings).toEqual(expect.arrayContaining(['image/png', 'text', 'm', 's']));
    expect(strings).not.toContain('aGk=');
  });

  it('[CNT-2] reads property names, and a definition under properties.data', () => {
    expect(stringsOf({ _meta: { 'key name': 1 } })).toContain('key name');
    const item = definitionItem({
      name: 'notes',
      inputSchema: {
        type: 'object',
        properties: { data: { type: 'string', description: 'the hidden order' } },
      },
    });
    expect(item.strings).toContain('the hidden order');
  });

  it('[CNT-3] refuses what it cannot read whole, never a prefix', () => {
    expect(() => stringsOf({ pad: new Array<string>(1_000_001).fill('') })).toThrow(
      expect.objectContaining({ code: 'CONTENT_TOO_COMPLEX' }),
    );
    let deep: unknown = 'x';
    for (let i = 0; i < 200; i++) deep = [deep];
    expect(() => stringsOf(deep)).toThrow(expect.objectContaining({ code: 'CONTENT_TOO_COMPLEX' }));
  });
});
