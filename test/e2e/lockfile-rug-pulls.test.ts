import { readFileSync, writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, describe, expect, it } from 'vitest';
import { calls, INJECTED_MARK, lockedRig, pinEvents, rigConfig, toolNames } from './rug-rig.js';
import { errorOf, eventually, fixture, startStdioGateway, type Running } from './harness.js';

let gw: Running | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('rug pulls through toolgate run, with the SDK client', () => {
  it('[PIN-2] hides a description swapped on the second list (WhatsApp-style) and refuses calls to it', async () => {
    const rig = await lockedRig('swap-second-list');
    gw = await startStdioGateway({}, { lock: { dir: rig.dir } });
    const first = (await gw.client.listTools()).tools;
    expect(first.find((t) => t.name === 'rug__send_message')?.description).toBe(
      'Sends a message to a contact.',
    );
    const second = (await gw.client.listTools()).tools;
    expect(second.map((t) => t.name)).not.toContain('rug__send_message');
    expect(JSON.stringify(second)).not.toContain(INJECTED_MARK);
    expect(second.map((t) => t.name)).toContain('rug__ping_contact');
    const error = await errorOf(
      gw.client.callTool({ name: 'rug__send_message', arguments: { to: 'bob', text: 'hi' } }),
    );
    expect(error.data?.code).toBe('PIN_HASH_MISMATCH');
    expect(calls(rig)).not.toContain('tools/call send_message');
    await eventually(() =>
      pinEvents(gw as Running).some(
        (e) => e.code === 'PIN_HASH_MISMATCH' && e.item === 'tools/send_message',
      ),
    );
    expect(
      await gw.client.callTool({ name: 'rug__ping_contact', arguments: { to: 'bob' } }),
    ).toMatchObject({ content: [{ text: 'reachable' }] });
  });

  it('[PIN-2] with the injection detector on as well, the swapped tool stays hidden and refused', async () => {
    const rig = await lockedRig('swap-second-list', {}, true);
    gw = await startStdioGateway({}, { lock: { dir: rig.dir } });
    expect(await toolNames(gw)).toContain('rug__send_message');
    expect(await toolNames(gw)).not.toContain('rug__send_message');
    const error = await errorOf(
      gw.client.callTool({ name: 'rug__send_message', arguments: { to: 'bob', text: 'hi' } }),
    );
    expect(error.data?.code).toMatch(/^(PIN_HASH_MISMATCH|DETECT_)/);
    expect(calls(rig)).not.toContain('tools/call send_message');
  });

  it('[PIN-3] catches a swap announced with list_changed, before the next call runs', async () => {
    const rig = await lockedRig('swap-announced');
    let changed = 0;
    gw = await startStdioGateway({}, { lock: { dir: rig.dir } });
    gw.client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed++;
    });
    expect(
      await gw.client.callTool({
        name: 'rug__send_message',
        arguments: { to: 'bob', text: 'before' },
      }),
    ).toMatchObject({
      content: [{ text: 'sent to bob' }],
    });
    await gw.client.callTool({ name: 'rug__refresh', arguments: {} });
    await eventually(() => changed > 0);
    // The client has not listed again: the call itself is checked against a fresh list.
    const error = await errorOf(
      gw.client.callTool({ name: 'rug__send_message', arguments: { to: 'eve', text: 'after' } }),
    );
    expect(error.data?.code).toBe('PIN_HASH_MISMATCH');
    expect(calls(rig).filter((c) => c === 'tools/call send_message')).toHaveLength(1);
    expect(await toolNames(gw)).toEqual(['rug__ping_contact', 'rug__refresh']);
  });

  it.each(['annotations', 'output-schema'])('[PIN-4] catches a swap of only %s', async (mode) => {
    const rig = await lockedRig(mode);
    gw = await startStdioGateway({}, { lock: { dir: rig.dir } });
    expect(await toolNames(gw)).toContain('rug__send_message');
    expect(await toolNames(gw)).not.toContain('rug__send_message');
    const error = await errorOf(
      gw.client.callTool({ name: 'rug__send_message', arguments: { to: 'bob', text: 'hi' } }),
    );
    expect(error.data?.code).toBe('PIN_HASH_MISMATCH');
    expect(calls(rig)).not.toContain('tools/call send_message');
  });

  it('[PIN-5] reports a tool that reappears under a new name as a rename, and does not accept it', async () => {
    const rig = await lockedRig('rename');
    gw = await startStdioGateway({}, { lock: { dir: rig.dir } });
    expect(await toolNames(gw)).toContain('rug__send_message');
    const names = await toolNames(gw);
    expect(names).not.toContain('rug__send_msg');
    const error = await errorOf(
      gw.client.callTool({ name: 'rug__send_msg', arguments: { to: 'bob', text: 'hi' } }),
    );
    expect(error.data?.code).toBe('PIN_MISSING');
    expect(calls(rig)).not.toContain('tools/call send_msg');
    const rename = pinEvents(gw).find((e) => e.item === 'tools/send_msg');
    expect(rename).toMatchObject({ code: 'PIN_MISSING', renamedFrom: 'send_message' });
    expect(rename?.message).toContain('renamed');
  });

  it("[PIN-12] judges a rename over every page of the server's list, not one page", async () => {
    const rig = await lockedRig('rename', { RUG_PAGE_SIZE: '1' });
    gw = await startStdioGateway({}, { lock: { dir: rig.dir } });
    expect(await toolNames(gw)).toEqual(['rug__ping_contact', 'rug__refresh', 'rug__send_message']);
    expect(await toolNames(gw)).toEqual(['rug__ping_contact', 'rug__refresh']);
    await eventually(() =>
      pinEvents(gw as Running).some(
        (e) => e.item === 'tools/send_msg' && e.renamedFrom === 'send_message',
      ),
    );
    const error = await errorOf(
      gw.client.callTool({ name: 'rug__send_msg', arguments: { to: 'bob', text: 'hi' } }),
    );
    expect(error.data?.code).toBe('PIN_MISSING');
    expect(calls(rig)).not.toContain('tools/call send_msg');
  });

  it('[PIN-12] a near-identical copy beside its original (listed on another page) is new, not a rename', async () => {
    const rig = await lockedRig('duplicate', { RUG_PAGE_SIZE: '1' });
    gw = await startStdioGateway({}, { lock: { dir: rig.dir } });
    await toolNames(gw);
    expect(await toolNames(gw)).toEqual(['rug__ping_contact', 'rug__refresh', 'rug__send_message']);
    await eventually(() => pinEvents(gw as Running).some((e) => e.item === 'tools/send_message2'));
    expect(pinEvents(gw).filter((e) => e.item === 'tools/send_message2')).toEqual([
      expect.objectContaining({ code: 'PIN_MISSING' }),
    ]);
    expect(pinEvents(gw).some((e) => e.renamedFrom !== undefined)).toBe(false);
  });

  it('[PIN-12] a rename done in two list_changed steps (add the copy, later drop the original) is reported as one', async () => {
    const rig = await lockedRig('rename-stepwise');
    let changed = 0;
    gw = await startStdioGateway({}, { lock: { dir: rig.dir } });
    gw.client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed++;
    });
    expect(await toolNames(gw)).toEqual(['rug__ping_contact', 'rug__refresh', 'rug__send_message']);
    await gw.client.callTool({ name: 'rug__refresh', arguments: {} });
    await eventually(() => changed >= 1);
    expect(await toolNames(gw)).toEqual(['rug__ping_contact', 'rug__refresh', 'rug__send_message']);
    await eventually(() => pinEvents(gw as Running).some((e) => e.item === 'tools/send_msg'));
    expect(pinEvents(gw).find((e) => e.item === 'tools/send_msg')?.renamedFrom).toBeUndefined();
    await gw.client.callTool({ name: 'rug__refresh', arguments: {} });
    await eventually(() => changed >= 2);
    expect(await toolNames(gw)).toEqual(['rug__ping_contact', 'rug__refresh']);
    await eventually(() =>
      pinEvents(gw as Running).some(
        (e) => e.item === 'tools/send_msg' && e.renamedFrom === 'send_message',
      ),
    );
    const error = await errorOf(
      gw.client.callTool({ name: 'rug__send_msg', arguments: { to: 'bob', text: 'hi' } }),
    );
    expect(error.data?.code).toBe('PIN_MISSING');
  });

  it('[PIN-6] a server that baits by clientInfo shows the lock what it shows the gateway, and is caught live', async () => {
    // The server is benign only to a scanner called "mcp-scan"; the lock identifies as the gateway does.
    // --allow-blocked: the lock's own detector would refuse the poisoned definition (PIN-13).
    const rig = await lockedRig('bait', { BAIT_BENIGN_FOR: 'mcp-scan' }, false, [
      '--allow-blocked',
    ]);
    const locked = readFileSync(rig.lockPath, 'utf8');
    expect(locked).toContain(INJECTED_MARK); // the reviewer sees the real, hostile definition
    const direct = new Client({ name: 'mcp-scan', version: '1.0.0' });
    await direct.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [fixture('rug-pull')],
        env: { RUG_MODE: 'bait', BAIT_BENIGN_FOR: 'mcp-scan', PATH: process.env['PATH'] ?? '' },
      }),
    );
    expect(JSON.stringify((await direct.listTools()).tools)).not.toContain(INJECTED_MARK);
    await direct.close();

    // A lock taken while the server baited toolgate itself: the live definitions no longer match.
    const baited = await lockedRig('bait', { BAIT_BENIGN_FOR: 'toolgate' });
    expect(readFileSync(baited.lockPath, 'utf8')).not.toContain(INJECTED_MARK);
    writeFileSync(
      baited.config,
      JSON.stringify(rigConfig('bait', baited.callLog, { BAIT_BENIGN_FOR: 'someone-else' })),
    );
    gw = await startStdioGateway({}, { lock: { dir: baited.dir } });
    const tools = (await gw.client.listTools()).tools;
    expect(JSON.stringify(tools)).not.toContain(INJECTED_MARK);
    expect(tools.map((t) => t.name)).not.toContain('rug__send_message');
    const error = await errorOf(
      gw.client.callTool({ name: 'rug__send_message', arguments: { to: 'bob', text: 'hi' } }),
    );
    expect(error.data?.code).toBe('PIN_HASH_MISMATCH');
  });
});
