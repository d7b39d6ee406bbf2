import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { MACHINE, T0, newRecord } from '../__testUtils__/records';
import { desiredState, transition } from './machine';
import { ReleaseRecord } from './types';

const PETE = 'user:default/pete';
const PAULA = 'user:default/paula';
const OLGA = 'user:default/olga';

const ready = { type: 'observed', ready: true } as const;

function run(record: ReleaseRecord, ...steps: Array<[number, any]>) {
  return steps.reduce(
    (r, [at, input]) => transition(r, input, at, MACHINE),
    record,
  );
}

describe('approvals', () => {
  it('waits for the start approval, refuses the requester (four-eyes) and starts once a lead approves', () => {
    const record = newRecord({ requiredApprovals: 1 });
    expect(record.release.state).toBe('awaiting-approval');
    expect(desiredState(record)).toBeNull(); // nothing touches the cluster before approval
    expect(() =>
      transition(
        record,
        { type: 'approve', by: PETE, reason: 'mine' },
        T0,
        MACHINE,
      ),
    ).toThrow(NotAllowedError);
    expect(() =>
      transition(
        record,
        { type: 'approve', by: PETE, reason: 'mine' },
        T0,
        MACHINE,
      ),
    ).toThrow(/four-eyes/);
    const approved = transition(
      record,
      { type: 'approve', by: PAULA, reason: 'release notes checked' },
      T0 + 1000,
      MACHINE,
    );
    expect(approved.release.state).toBe('progressing');
    expect(approved.release.approvals).toEqual([
      {
        by: PAULA,
        decision: 'approved',
        reason: 'release notes checked',
        at: new Date(T0 + 1000).toISOString(),
        expiresAt: new Date(T0 + 1000 + MACHINE.approvalTtlMs).toISOString(),
      },
    ]);
    expect(
      desiredState(approved)
        ?.http?.at(-1)
        ?.route.map(r => r.weight),
    ).toEqual([95, 5]);
  });

  it('needs N distinct approvals (N-of-M) and refuses the same lead twice', () => {
    const record = newRecord({ requiredApprovals: 2 });
    const one = transition(
      record,
      { type: 'approve', by: PAULA, reason: 'ok by me' },
      T0,
      MACHINE,
    );
    expect(one.release.state).toBe('awaiting-approval');
    expect(() =>
      transition(
        one,
        { type: 'approve', by: PAULA, reason: 'again' },
        T0 + 1,
        MACHINE,
      ),
    ).toThrow(ConflictError);
    const two = transition(
      one,
      { type: 'approve', by: OLGA, reason: 'ok' },
      T0 + 2,
      MACHINE,
    );
    expect(two.release.state).toBe('progressing');
  });

  it('does not count an expired approval', () => {
    const record = newRecord({ requiredApprovals: 2 });
    const one = transition(
      record,
      { type: 'approve', by: PAULA, reason: 'ok by me' },
      T0,
      MACHINE,
    );
    // The second approval comes after the first one expired: still one valid.
    const late = transition(
      one,
      { type: 'approve', by: OLGA, reason: 'ok' },
      T0 + MACHINE.approvalTtlMs + 1,
      MACHINE,
    );
    expect(late.release.state).toBe('awaiting-approval');
    expect(late.release.history!.at(-1)!.reason).toBe('approved (1 of 2)');
    // The first lead approves again (the old approval no longer counts).
    const renewed = transition(
      late,
      { type: 'approve', by: PAULA, reason: 'still ok' },
      T0 + MACHINE.approvalTtlMs + 2,
      MACHINE,
    );
    expect(renewed.release.state).toBe('progressing');
  });

  it('stops the release on rejection, with the reason', () => {
    const record = newRecord({ requiredApprovals: 1 });
    const rejected = transition(
      record,
      { type: 'reject', by: PAULA, reason: 'not during the audit' },
      T0,
      MACHINE,
    );
    expect(rejected.release).toMatchObject({
      state: 'rejected',
      reason: `rejected by ${PAULA}: not during the audit`,
      finishedAt: new Date(T0).toISOString(),
    });
    expect(desiredState(rejected)).toBeNull();
    expect(() =>
      transition(
        rejected,
        { type: 'approve', by: OLGA, reason: 'late' },
        T0,
        MACHINE,
      ),
    ).toThrow(/already rejected/);
  });

  it('waits again at a step marked for approval, keeping the traffic where it is', () => {
    const record = newRecord({
      plan: [{ weight: 10 }, { weight: 50, approval: true }, { weight: 100 }],
    });
    const atGate = run(record, [T0, ready]);
    expect(atGate.release.state).toBe('awaiting-approval');
    expect(atGate.release.currentStep).toBe(1);
    expect(
      desiredState(atGate)!
        .http!.at(-1)!
        .route.map(r => r.weight),
    ).toEqual([90, 10]);
    expect(() =>
      transition(
        atGate,
        { type: 'promote', by: PETE, full: false },
        T0,
        MACHINE,
      ),
    ).toThrow(/cannot replace an approval/);
    const approved = transition(
      atGate,
      { type: 'approve', by: PAULA, reason: 'go' },
      T0,
      MACHINE,
    );
    expect(approved.release.approvals[0].step).toBe(1);
    expect(
      desiredState(approved)!
        .http!.at(-1)!
        .route.map(r => r.weight),
    ).toEqual([50, 50]);
  });
});

describe('manual controls', () => {
  it('promotes step by step, and in full straight to 100 % (an approval step ahead still gates it)', () => {
    const record = newRecord({});
    const next = transition(
      record,
      { type: 'promote', by: PETE, full: false },
      T0,
      MACHINE,
    );
    expect(next.release.currentStep).toBe(1);
    expect(next.release.steps[0].status).toBe('done');
    const full = transition(
      record,
      { type: 'promote', by: PETE, full: true },
      T0,
      MACHINE,
    );
    expect(full.release.currentStep).toBe(3);
    expect(full.release.steps.map(s => s.status)).toEqual([
      'done',
      'skipped',
      'skipped',
      'active',
    ]);
    const gated = newRecord({
      plan: [{ weight: 10 }, { weight: 50, approval: true }, { weight: 100 }],
    });
    const fullGated = transition(
      gated,
      { type: 'promote', by: PETE, full: true },
      T0,
      MACHINE,
    );
    expect(fullGated.release.state).toBe('awaiting-approval');
    expect(fullGated.release.currentStep).toBe(2);
  });

  it('pauses and resumes; a paused release does not advance on its own', () => {
    const record = newRecord({
      plan: [{ weight: 10, pause: { seconds: 60 } }, { weight: 100 }],
    });
    const paused = transition(record, { type: 'pause', by: PETE }, T0, MACHINE);
    expect(paused.release).toMatchObject({
      state: 'paused',
      reason: `paused by ${PETE}`,
    });
    const stillPaused = run(
      paused,
      [T0 + 3600_000, ready],
      [T0 + 3600_000, { type: 'tick' }],
    );
    expect(stillPaused.release.state).toBe('paused');
    expect(() =>
      transition(paused, { type: 'pause', by: PETE }, T0, MACHINE),
    ).toThrow(ConflictError);
    const resumed = transition(
      paused,
      { type: 'resume', by: PETE },
      T0 + 10,
      MACHINE,
    );
    expect(resumed.release.state).toBe('progressing');
    const timed = run(resumed, [T0 + 20, ready]);
    expect(timed.release.state).toBe('paused');
    expect(() =>
      transition(timed, { type: 'resume', by: PETE }, T0, MACHINE),
    ).toThrow(/timed pause: promote to skip it/);
    expect(
      run(timed, [T0 + 20 + 60_000, { type: 'tick' }]).release.currentStep,
    ).toBe(1);
  });

  it('rolls back from any running state; nothing moves after that', () => {
    const record = run(newRecord({}), [T0, ready]);
    const back = transition(
      record,
      { type: 'rollback', by: PETE, reason: 'errors in logs' },
      T0,
      MACHINE,
    );
    expect(back.release).toMatchObject({
      state: 'rolled-back',
      weights: { stable: 100, canary: 0 },
      reason: `rolled back by ${PETE}: errors in logs`,
    });
    const intent = desiredState(back)!;
    expect(intent.http!.at(-1)!.route).toEqual([
      {
        destination: { host: 'payment-gateway', subset: 'stable' },
        weight: 100,
      },
    ]);
    expect(intent.deployments).toEqual([
      { name: 'payment-gateway', replicas: 3 },
      expect.objectContaining({ name: 'payment-gateway-2.8.0', replicas: 0 }),
    ]);
    for (const action of [
      { type: 'promote', by: PETE, full: true },
      { type: 'resume', by: PETE },
      { type: 'rollback', by: PETE, reason: 'again' },
    ] as const) {
      expect(() => transition(back, action, T0, MACHINE)).toThrow(
        /already rolled-back/,
      );
    }
    expect(run(back, [T0, ready], [T0, { type: 'tick' }])).toEqual(back);
  });

  it('switches back only a blue-green release that has switched', () => {
    const canary = newRecord({});
    expect(() =>
      transition(
        canary,
        { type: 'switch-back', by: PETE, reason: 'x' },
        T0,
        MACHINE,
      ),
    ).toThrow(InputError);
    const bg = newRecord({
      strategy: 'blue-green',
      plan: [{ weight: 0, pause: { seconds: 30 } }, { weight: 100 }],
    });
    expect(() =>
      transition(
        bg,
        { type: 'switch-back', by: PETE, reason: 'x' },
        T0,
        MACHINE,
      ),
    ).toThrow(/has not been switched to the new version yet/);
  });
});

describe('controller inputs', () => {
  it('rolls back on a failed metric gate and records why', () => {
    const record = newRecord({
      plan: [{ weight: 10, analysis: true }, { weight: 100 }],
    });
    const analysing = run(record, [T0, ready]);
    expect(analysing.release.state).toBe('analysing');
    const failed = transition(
      analysing,
      {
        type: 'analysis',
        analysis: {
          step: 0,
          at: new Date(T0).toISOString(),
          pass: false,
          results: [
            {
              name: 'success-rate',
              query: 'q',
              canary: 0.8,
              stable: 0.999,
              threshold: '>= 0.99',
              pass: false,
            },
            {
              name: 'restarts',
              query: 'q',
              canary: 0,
              stable: 0,
              threshold: '<= 0',
              pass: true,
            },
          ],
        },
      },
      T0 + 30_000,
      MACHINE,
    );
    expect(failed.release).toMatchObject({
      state: 'rolled-back',
      reason:
        'metric gate failed at step 1: success-rate canary 0.8000 (stable 0.9990) not >= 0.99',
    });
    expect(failed.release.analyses).toHaveLength(1);
  });

  it('advances on passing gates; pauses when they stay without data past the timeout', () => {
    const record = run(
      newRecord({ plan: [{ weight: 10, analysis: true }, { weight: 100 }] }),
      [T0, ready],
    );
    const result = (pass: boolean | null) => ({
      type: 'analysis' as const,
      analysis: {
        step: 0,
        at: new Date(T0).toISOString(),
        pass: pass === true,
        results: [
          {
            name: 'success-rate',
            query: 'q',
            canary: pass === null ? null : 1,
            stable: 1,
            threshold: '>= 0.99',
            pass,
          },
        ],
      },
    });
    expect(
      transition(record, result(true), T0 + 1, MACHINE).release.currentStep,
    ).toBe(1);
    const waiting = transition(record, result(null), T0 + 1, MACHINE);
    expect(waiting.release.state).toBe('analysing');
    const timedOut = transition(
      waiting,
      result(null),
      T0 + MACHINE.analysisTimeoutMs,
      MACHINE,
    );
    expect(timedOut.release).toMatchObject({
      state: 'paused',
      reason:
        'analysis inconclusive: no data for success-rate; promote or roll back',
    });
  });

  it('pauses on drift without touching the cluster, and re-applies only on resume', () => {
    const record = run(newRecord({}), [T0, ready]);
    const drift = transition(
      record,
      { type: 'drift', details: 'edited by hand' },
      T0,
      MACHINE,
    );
    expect(drift.release).toMatchObject({
      state: 'paused',
      reason: 'drift',
      drift: {
        detectedAt: new Date(T0).toISOString(),
        details: 'edited by hand',
      },
    });
    expect(desiredState(drift)).toEqual(desiredState(record)); // nothing new to apply
    expect(() =>
      transition(
        drift,
        { type: 'promote', by: PETE, full: false },
        T0,
        MACHINE,
      ),
    ).toThrow(/drift/);
    const resumed = transition(
      drift,
      { type: 'resume', by: PETE },
      T0,
      MACHINE,
    );
    expect(resumed.release.drift).toBeUndefined();
    expect(desiredState(resumed)!.reapply).toBe(
      desiredState(record)!.reapply + 1,
    );
  });

  it('fails with the reason after the cluster refused the intent, and restores the stable version', () => {
    const record = run(newRecord({}), [T0, ready]);
    const failed = transition(
      record,
      { type: 'apply-failed', error: '500 etcd timeout' },
      T0,
      MACHINE,
    );
    expect(failed.release).toMatchObject({
      state: 'failed',
      reason: 'could not apply to the cluster: 500 etcd timeout',
    });
    expect(desiredState(failed)!.http!.at(-1)!.route).toHaveLength(1);
  });

  it('rolls back when the rollout of the new version fails', () => {
    const record = newRecord({});
    const failed = transition(
      record,
      {
        type: 'observed',
        ready: false,
        rolloutFailed:
          'payment-gateway-2.8.0: ReplicaSet has timed out progressing.',
      },
      T0,
      MACHINE,
    );
    expect(failed.release.state).toBe('rolled-back');
    expect(failed.release.reason).toMatch(/rollout failed/);
  });
});
