import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TERMINAL_RULES } from '@fincloud/plugin-terminal-common';
import { parse } from 'yaml';
import { startTerminalBackend, TerminalBackend } from './__testUtils__/backend';
import { TerminalClient } from './__testUtils__/client';
import { startRecordingSim, RecordingSim } from './__testUtils__/sim';

jest.setTimeout(180_000);

interface Corpus {
  allowed: Array<{ line: string; argv: string[] }>;
  refused: Record<string, Array<[string, string]>>;
}

const corpus: Corpus = parse(
  readFileSync(join(__dirname, '__fixtures__', 'bypass-corpus.yaml'), 'utf8'),
);

/** Attempts generated on top of the file: every control character, fullwidth look-alikes, long lines. */
function generated(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let c = 0; c < 0xa0; c++) {
    if (c >= 0x20 && c < 0x7f) continue;
    out.push([`ls${String.fromCharCode(c)}/tmp`, 'control-character']);
  }
  for (const meta of ';|&<>$`()*?[]{}~#!\'"\\/=-') {
    const fullwidth = String.fromCharCode(meta.charCodeAt(0) + 0xfee0);
    out.push([`ls ${fullwidth}id`, 'unicode-lookalike']);
    out.push([`ls '${fullwidth}'`, 'unicode-lookalike']);
  }
  out.push([`ls ${'a'.repeat(1100)}`, 'line-too-long']);
  out.push([`cat /var/log/app/${'x/'.repeat(30_000)}`, 'line-too-long']);
  out.push([`ls${' /tmp'.repeat(70)}`, 'too-many-arguments']);
  out.push([`${'$('.repeat(200)}id${')'.repeat(200)}`, 'no-substitution']);
  return out;
}

const SHELLS = /(^|\/)(sh|bash|ash|dash|zsh|ksh|busybox|python\d*|perl|ruby|node|env|xargs|nohup|timeout)$/;

async function execSessionsTotal(sim: RecordingSim): Promise<number> {
  const text = await (await fetch(`${sim.url}/metrics`)).text();
  const m = /^sim_exec_sessions_total (\d+)$/m.exec(text);
  return Number(m?.[1] ?? NaN);
}

describe('the restricted-mode bypass corpus', () => {
  let sim: RecordingSim;
  let backend: TerminalBackend;
  let client: TerminalClient;
  const attempts = [
    ...Object.entries(corpus.refused).flatMap(([category, list]) =>
      list.map(([line, rule]) => ({ category, line, rule })),
    ),
    ...generated().map(([line, rule]) => ({ category: 'generated', line, rule })),
  ];

  beforeAll(async () => {
    sim = await startRecordingSim();
    backend = await startTerminalBackend({ sim });
    client = TerminalClient.connect({
      port: backend.port,
      token: await backend.tokenFor('pete'),
      namespace: 'payments',
      pod: sim.podOf('payments', 'payment-gateway'),
      container: 'payment-gateway',
    });
    await client.ready();
  });

  afterAll(async () => {
    client?.close();
    await backend?.stop();
    await sim?.stop();
  });

  it('has at least 200 hand-written attempts, each naming a documented rule', () => {
    const written = Object.values(corpus.refused).flat();
    expect(written.length).toBeGreaterThanOrEqual(200);
    for (const { rule } of attempts) {
      expect(TERMINAL_RULES).toHaveProperty(rule.split(':')[0]);
    }
  });

  it('refuses every attempt, with the rule the corpus names', async () => {
    const before = sim.execs.length;
    const wrong: string[] = [];
    for (const attempt of attempts) {
      const { decision } = await client.run(attempt.line);
      const matches = attempt.rule.includes(':')
        ? decision.rule === attempt.rule
        : decision.rule.split(':')[0] === attempt.rule;
      if (decision.allowed || !matches) {
        wrong.push(
          `[${attempt.category}] ${JSON.stringify(attempt.line).slice(0, 120)}: expected ${
            attempt.rule
          }, got ${decision.allowed ? 'ALLOWED' : decision.rule}`,
        );
      }
      expect(decision.message.length).toBeGreaterThan(0);
    }
    expect(wrong).toEqual([]);
    // Nothing refused reached the cluster's exec endpoint.
    expect(sim.execs.slice(before)).toEqual([]);
  });

  it('runs the allowed lines, arriving at the exec endpoint exactly as argv', async () => {
    const before = sim.execs.length;
    for (const { line, argv } of corpus.allowed) {
      const result = await client.run(line);
      expect({ line, rule: result.decision.rule }).toEqual({
        line,
        rule: `allowed:${argv[0]}`,
      });
      expect(result.exit).toBeDefined();
    }
    const pod = sim.podOf('payments', 'payment-gateway');
    expect(sim.execs.slice(before)).toEqual(
      corpus.allowed.map(({ argv }) => ({
        namespace: 'payments',
        pod,
        container: 'payment-gateway',
        argv,
        tty: false,
      })),
    );
  });

  it('never sent a shell, a wrapper or a refused argv to the cluster, and every exec it accepted is accounted for', async () => {
    // env is allowed only bare (it prints the environment); as a wrapper it would run a program
    const wrappers = sim.execs.filter(
      e => SHELLS.test(e.argv[0]) && !(e.argv.length === 1 && e.argv[0] === 'env'),
    );
    expect(wrappers).toEqual([]);
    expect(sim.execs.filter(e => e.tty)).toEqual([]);
    // The simulator's own counter of accepted exec sessions agrees with what
    // its exec module saw: no exec got past the endpoint unrecorded.
    expect(await execSessionsTotal(sim)).toBe(sim.execs.length);
    expect(sim.execs.length).toBe(corpus.allowed.length);
  });

  it('audits every attempt: refused ones with their rule, as the user', () => {
    const refused = backend.audit.of('terminal-command', 'failed');
    expect(refused.length).toBe(attempts.length);
    for (const e of refused) {
      expect(e.actor).toBe('user:default/pete');
      expect(e.meta).toMatchObject({
        entityRef: 'component:default/payment-gateway',
        cluster: 'sim',
        namespace: 'payments',
        container: 'payment-gateway',
        decision: 'refused',
      });
    }
    expect(backend.audit.of('terminal-command', 'succeeded').length).toBe(
      corpus.allowed.length,
    );
  });

  it('closes a socket whose message is larger than 64 KiB, having run nothing', async () => {
    const before = sim.execs.length;
    const big = TerminalClient.connect({
      port: backend.port,
      token: await backend.tokenFor('pete'),
      namespace: 'payments',
      pod: sim.podOf('payments', 'payment-gateway'),
      container: 'payment-gateway',
    });
    await big.ready();
    big.send({ type: 'line', line: `ls ${'a'.repeat(2 * 1024 * 1024)}` });
    const closed = await big.closed;
    expect(closed.code).toBe(1009);
    expect(sim.execs.length).toBe(before);
  });
});
