import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { labelsOf } from './flows.js';
import { toDeclared } from './request.js';

const config = (inferLabels: boolean) =>
  parseConfig({
    servers: { s: { command: 'x', tools: ['*'], labels: { notes_tool: ['private'] } } },
    flows: { inferLabels },
  });

describe('when labels are inferred from names and annotations', () => {
  it('[FLOW-4] adds private, untrusted, sink and destructive from the words of a tool name', () => {
    const on = config(true);
    expect(labelsOf(on, 's', 'read_file', undefined)).toEqual(['private']);
    expect(labelsOf(on, 's', 'getEmails', undefined)).toEqual(['private']);
    expect(labelsOf(on, 's', 'fetch_url', undefined)).toEqual(['untrusted']);
    expect(labelsOf(on, 's', 'send_message', undefined)).toEqual(['sink']);
    expect(labelsOf(on, 's', 'delete_repo', undefined)).toEqual(['destructive']);
    expect(labelsOf(on, 's', 'get_weather', undefined)).toEqual([]);
  });

  it('[FLOW-4] only ever adds: configured labels stay, off adds nothing, annotations cannot remove', () => {
    const readOnly = toDeclared({
      readOnlyHint: true,
      destructiveHint: false,
      openWorldHint: false,
    });
    expect(labelsOf(config(true), 's', 'notes_tool', readOnly)).toEqual(['private']);
    expect(labelsOf(config(false), 's', 'send_message', undefined)).toEqual([]);
    expect(labelsOf(config(true), 's', 'send_message', readOnly)).toEqual(['sink']);
    // A server declaring an open-world writer is taken at its word as a sink.
    expect(labelsOf(config(true), 's', 'do_it', toDeclared({ openWorldHint: true }))).toEqual([
      'destructive',
      'sink',
    ]);
  });
});
