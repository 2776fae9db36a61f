import { randomUUID } from 'node:crypto';
import { watch } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuthzError } from '../errors.js';

/** One call waiting for an operator, as `toolgate approvals list` shows it. */
export interface PendingApproval {
  readonly id: string;
  readonly agent: string;
  readonly server: string;
  readonly item: string;
  /** The arguments, shortened: what the operator decides on. */
  readonly summary: string;
  readonly rule: string;
  readonly reason: string;
  readonly created: string;
  readonly expires: string;
}

/** An operator's answer, and who gave it (recorded in the audit log with the call's verdict). */
export interface Answer {
  readonly decision: 'approve' | 'deny';
  /** The operator: `--by`, else the OS user and host that ran `toolgate approvals`. */
  readonly by: string;
}

/** An answer as stored and published (JSON); anything else is no answer. */
export const parseAnswer = (text: string | null | undefined): Answer | undefined => {
  try {
    const value = JSON.parse(text ?? '') as Partial<Answer>;
    return (value.decision === 'approve' || value.decision === 'deny') &&
      typeof value.by === 'string'
      ? { decision: value.decision, by: value.by }
      : undefined;
  } catch {
    return undefined;
  }
};

/** Where calls wait for an operator: a folder (one machine) or Redis (replicas, `cluster.redis`). */
export interface ApprovalQueue {
  /** Queues a request and waits for its answer until `timeoutMs`; the entry is removed either way. */
  wait(
    request: Omit<PendingApproval, 'id' | 'created' | 'expires'>,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<Answer | 'timeout'>;
  /** What waits now, oldest first. */
  list(): Promise<PendingApproval[]>;
  /** Answers a waiting request; refuses an id that is not waiting (answered, expired, mistyped). */
  answer(id: string, answer: Answer): Promise<void>;
  /** Lets go of connections (the process can then exit). */
  close?(): void;
}

/** A request as it waits: a fresh id, created now, expiring `timeoutMs` from now. */
export const newPending = (
  request: Omit<PendingApproval, 'id' | 'created' | 'expires'>,
  timeoutMs: number,
): PendingApproval => {
  const now = Date.now();
  return {
    ...request,
    id: randomUUID(),
    created: new Date(now).toISOString(),
    expires: new Date(now + timeoutMs).toISOString(),
  };
};

export const APPROVAL_ID = /^[0-9a-f-]{36}$/;

/** Writes `text` to a temporary file beside `path`, then renames it into place. */
const writeWhole = async (path: string, text: string): Promise<void> => {
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, path);
};

/** The requests waiting in `dir` and not yet expired, oldest first. */
const listPending = async (dir: string): Promise<PendingApproval[]> => {
  const names = await readdir(dir).catch(() => [] as string[]);
  const entries = await Promise.all(
    names
      .filter((n) => n.endsWith('.json'))
      .map((n) =>
        readFile(join(dir, n), 'utf8').then(
          (t) => JSON.parse(t) as PendingApproval,
          () => undefined,
        ),
      ),
  );
  return entries
    .filter((e): e is PendingApproval => e !== undefined && Date.parse(e.expires) > Date.now())
    .sort((a, b) => a.created.localeCompare(b.created));
};

/**
 * The approval queue on disk: a request is `<id>.json`, an operator's answer `<id>.answer`, each
 * written whole then renamed into place, so a reader never sees half of one. Any process that can
 * reach the folder (the gateway, `toolgate approvals` in another shell) shares it.
 */
export const createApprovalQueue = (dir: string): ApprovalQueue => {
  const requestPath = (id: string) => join(dir, `${id}.json`);
  const answerPath = (id: string) => join(dir, `${id}.answer`);
  const readAnswer = async (id: string): Promise<Answer | undefined> =>
    parseAnswer(await readFile(answerPath(id), 'utf8').catch(() => undefined));

  return {
    async wait(
      request: Omit<PendingApproval, 'id' | 'created' | 'expires'>,
      timeoutMs: number,
      signal: AbortSignal,
    ): Promise<Answer | 'timeout'> {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const pending = newPending(request, timeoutMs);
      const { id } = pending;
      const watcher = watch(dir);
      let timer: NodeJS.Timeout | undefined;
      try {
        const answered = new Promise<Answer | 'timeout'>((resolve) => {
          const check = () => void readAnswer(id).then((a) => a && resolve(a));
          watcher.on('change', (_, name) => name === `${id}.answer` && check());
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
          signal.addEventListener('abort', () => resolve('timeout'), { once: true });
          check(); // an answer written before the watcher saw the folder
        });
        await writeWhole(requestPath(id), JSON.stringify(pending));
        return await answered;
      } finally {
        clearTimeout(timer);
        watcher.close();
        await Promise.all([
          rm(requestPath(id), { force: true }),
          rm(answerPath(id), { force: true }),
        ]);
      }
    },

    /** What waits now, oldest first. */
    list: (): Promise<PendingApproval[]> => listPending(dir),

    async answer(id: string, answer: Answer): Promise<void> {
      const waiting =
        APPROVAL_ID.test(id) && (await readFile(requestPath(id), 'utf8').catch(() => undefined));
      if (!waiting)
        throw new AuthzError(
          'APPROVAL_UNKNOWN',
          `no approval ${id} is waiting (answered, expired, or mistyped)`,
        );
      await writeWhole(answerPath(id), JSON.stringify(answer));
    },
  };
};
