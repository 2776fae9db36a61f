import { describe, expect, it } from 'vitest';
import { CONTENT_DEFAULTS, ContentSchema } from './content-schema.js';

describe('when the content defenses are configured', () => {
  it('turns every defense on by default, at its strongest ceiling where the model is most exposed', () => {
    expect(CONTENT_DEFAULTS.sanitize.mode).toBe('strip');
    expect(CONTENT_DEFAULTS.secrets).toEqual({ env: [], formats: true });
    expect(CONTENT_DEFAULTS.output.allowSchemes).toEqual([]);
    expect(CONTENT_DEFAULTS.detect).toMatchObject({
      enabled: true,
      definitions: 'block',
      instructions: 'block',
      toolResults: 'block',
      serverRequests: 'block',
      arguments: 'block',
      resources: 'warn',
      prompts: 'warn',
    });
  });

  it('[CFG-1] refuses a warn threshold above the block threshold', () => {
    const result = ContentSchema.safeParse({ detect: { warnAt: 2, blockAt: 1 } });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('warnAt must not exceed blockAt');
  });

  it('[CFG-1] refuses unknown keys, unknown schemes and caps below their floor', () => {
    for (const doc of [
      { output: { maxBytez: 1 } },
      { output: { allowSchemes: ['https'] } },
      { output: { maxBytes: 10 } },
      { sanitize: { mode: 'ignore' } },
      { secrets: { env: ['NOT-A-NAME'] } },
    ])
      expect(ContentSchema.safeParse(doc).success, JSON.stringify(doc)).toBe(false);
  });
});
