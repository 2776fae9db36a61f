import { afterAll } from 'vitest';
import { writePending } from '../src/audit/group-commit.js';

/**
 * The unit project runs the files of a worker in one module graph (`isolate: false`), and the
 * audit's group commit is process-wide by design (`src/audit/group-commit.ts`): a file that left a
 * failing log open would make every message of the files after it in that worker refuse to leave.
 * That file fails here instead, by name.
 */
afterAll(() => {
  const error = writePending();
  if (error)
    throw new Error(`an audit log was left open with lines it cannot write: ${error.message}`);
});
