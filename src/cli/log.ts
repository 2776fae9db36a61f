import type { GatewayEvent } from '../gateway/events.js';
import { logLine } from '../log.js';

/** Per server and event kind, this many events a window are logged one by one; the rest are summarized. */
const BURST = 20;
const WINDOW_MS = 10_000;

interface Window {
  readonly start: number;
  count: number;
}

const windows = new Map<string, Window>();

const summarize = (key: string, window: Window): void => {
  const suppressed = window.count - BURST;
  if (suppressed > 0)
    logLine('info', `${suppressed} more ${key} events in ${WINDOW_MS / 1000} s, summarized`, {
      summarized: suppressed,
      hint: '--log-level debug logs each one',
    });
};

/**
 * A server that cannot start or stops answering is trouble the operator must see, even with --quiet
 * for one that gave up (`failed`); the rest of a server's life (started, stderr, exited) is info.
 */
const levelOf = (event: GatewayEvent): 'info' | 'warn' | 'error' => {
  if (event.kind !== 'upstream') return 'info';
  if (event.event.kind === 'failed') return 'error';
  return event.event.kind === 'crashed' || event.event.kind === 'hung' ? 'warn' : 'info';
};

/**
 * Gateway events on stderr (stdout belongs to the MCP stdio front), through the operator log. A flood
 * (a chatty server's stderr, a busy connection's verdicts) is cut to the first events of each 10 s
 * window per server and kind, then one summary line; `--log-level debug` still logs every event.
 */
export const logEvent = (event: GatewayEvent): void => {
  const key = `${event.kind}${'server' in event ? ` ${event.server}` : ''}`;
  const now = Date.now();
  let window = windows.get(key);
  if (window === undefined || now - window.start >= WINDOW_MS) {
    window = { start: now, count: 0 };
    windows.set(key, window);
  }
  window.count++;
  if (window.count <= BURST) return logLine(levelOf(event), event.kind, { ...event });
  if (window.count === BURST + 1) {
    const current = window;
    setTimeout(() => summarize(key, current), WINDOW_MS - (now - current.start)).unref();
  }
  logLine('debug', event.kind, { ...event });
};
