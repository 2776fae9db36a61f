import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recording } from './gateway-process.js';
import { errorOf, startStdioGateway, tempDir } from './harness.js';

/**
 * `context.time` in a running gateway, not only in `toolgate policy test`: a policy whose hours are
 * computed from the clock now (this hour or the next, today or tomorrow, so a test that runs across
 * an hour or a midnight still holds) allows `echo` only inside them and `secret` only outside them.
 * The gateway runs in a time zone 14 hours off UTC: a decision on local time would flip both.
 */
const hoursPolicy = (now: Date): string => {
  const hour = now.getUTCHours();
  const day = now.getUTCDay();
  const inside = `(context.time.hourUtc == ${hour} || context.time.hourUtc == ${(hour + 1) % 24}) && (context.time.weekdayUtc == ${day} || context.time.weekdayUtc == ${(day + 1) % 7})`;
  return `
@id("anything") permit (principal, action, resource);
@id("office-hours") forbid (principal, action == Toolgate::Action::"tools/call", resource)
  when { resource.name == "echo" && !(${inside}) };
@id("night-shift") forbid (principal, action == Toolgate::Action::"tools/call", resource)
  when { resource.name == "secret" && ${inside} };
`;
};

describe('when a policy decides on the time of day', () => {
  it('[AUTHZ-6] a running gateway decides on the current UTC hour and weekday, whatever its time zone', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'hours.cedar'), hoursPolicy(new Date()));
    const gw = await startStdioGateway(
      {
        servers: { rec: { ...recording(join(dir, 'calls.jsonl')), tools: ['echo', 'secret'] } },
        policy: { files: [join(dir, 'hours.cedar')] },
      },
      { env: { TZ: 'Pacific/Kiritimati' } },
    );
    try {
      const inside = await gw.client.callTool({ name: 'rec__echo', arguments: { text: 'now' } });
      expect((inside as { content: { text: string }[] }).content[0]?.text).toBe('echo: now');
      const outside = await errorOf(
        gw.client.callTool({ name: 'rec__secret', arguments: { text: 'now' } }),
      );
      expect(outside.data?.code).toBe('AUTHZ_DENIED');
      expect(outside.message).toContain('secret');
    } finally {
      await gw.close();
    }
  });
});
