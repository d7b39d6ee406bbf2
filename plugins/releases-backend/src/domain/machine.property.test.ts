import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  ReleaseStepPlan,
  isReleaseFinished,
} from '@fincloud/plugin-releases-common';
import { MACHINE, T0, newRecord } from '../__testUtils__/records';
import {
  MachineInput,
  appliedWeight,
  desiredState,
  transition,
} from './machine';
import { ReleaseRecord } from './types';

/**
 * Property: whatever people and the controller do, in any order, the
 * routes fincloud would send to a cluster split traffic in integer weights
 * adding up to 100 between subsets that exist; nothing moves after a release
 * is finished (no promote after an abort); the history is one unbroken chain
 * of states ending in the current one; the requester never approves.
 */

const REQUESTER = 'user:default/pete';
const PEOPLE = [REQUESTER, 'user:default/paula', 'user:default/olga'];

const planArb = fc.oneof(
  fc
    .uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 5 })
    .chain(weights =>
      fc
        .array(
          fc.record({
            pause: fc.boolean(),
            approval: fc.boolean(),
            analysis: fc.boolean(),
          }),
          { minLength: weights.length + 1, maxLength: weights.length + 1 },
        )
        .map(flags => ({
          strategy: 'canary' as const,
          plan: [...weights.sort((a, b) => a - b), 100].map(
            (weight, i): ReleaseStepPlan => ({
              weight,
              ...(flags[i].pause ? { pause: { seconds: 30 } } : {}),
              ...(flags[i].approval ? { approval: true } : {}),
              ...(flags[i].analysis ? { analysis: true } : {}),
            }),
          ),
        })),
    ),
  fc.record({ pause: fc.boolean(), approval: fc.boolean() }).map(f => ({
    strategy: 'blue-green' as const,
    plan: [
      { weight: 0, ...(f.pause ? { pause: { seconds: 60 } } : {}) },
      { weight: 100, ...(f.approval ? { approval: true } : {}) },
    ] as ReleaseStepPlan[],
  })),
  fc.constant({
    strategy: 'rolling' as const,
    plan: [{ weight: 100 }] as ReleaseStepPlan[],
  }),
);

const person = fc.constantFrom(...PEOPLE);
const inputArb: fc.Arbitrary<MachineInput> = fc.oneof(
  person.map(by => ({ type: 'approve' as const, by, reason: 'looks good' })),
  person.map(by => ({ type: 'reject' as const, by, reason: 'no' })),
  fc
    .tuple(person, fc.boolean())
    .map(([by, full]) => ({ type: 'promote' as const, by, full })),
  person.map(by => ({ type: 'pause' as const, by })),
  person.map(by => ({ type: 'resume' as const, by })),
  person.map(by => ({ type: 'rollback' as const, by, reason: 'abort' })),
  person.map(by => ({ type: 'switch-back' as const, by, reason: 'back' })),
  fc.boolean().map(ready => ({ type: 'observed' as const, ready })),
  fc.constant({
    type: 'observed' as const,
    ready: false,
    rolloutFailed: 'deadline exceeded',
  }),
  fc.constantFrom<boolean | null>(true, false, null).map(pass => ({
    type: 'analysis' as const,
    analysis: {
      step: 0,
      at: new Date(T0).toISOString(),
      pass: pass === true,
      results: [
        {
          name: 'success-rate',
          query: 'q',
          canary: pass === null ? null : 0.9,
          stable: 0.99,
          threshold: '>= 0.99',
          pass,
        },
      ],
    },
  })),
  fc.constant({ type: 'tick' as const }),
  fc.constant({ type: 'drift' as const, details: 'edited by hand' }),
  fc.constant({ type: 'apply-failed' as const, error: '500' }),
  fc.integer({ min: 0, max: 100 }).map(canary => ({
    type: 'weights' as const,
    weights: { stable: 100 - canary, canary },
  })),
);

const scenarioArb = fc.record({
  plan: planArb,
  requiredApprovals: fc.integer({ min: 0, max: 2 }),
  ops: fc.array(fc.tuple(inputArb, fc.integer({ min: 0, max: 120_000 })), {
    maxLength: 30,
  }),
});

// Plain assertions: they run a few hundred thousand times.
function checkRoutes(record: ReleaseRecord) {
  const intent = desiredState(record);
  if (!intent?.http) return;
  const subsets = Object.keys(intent.subsets ?? {});
  for (const route of intent.http) {
    let total = 0;
    for (const d of route.route) {
      assert.ok(
        Number.isInteger(d.weight) && d.weight >= 0 && d.weight <= 100,
        `weight ${d.weight}`,
      );
      assert.ok(
        subsets.includes(d.destination.subset),
        `subset ${d.destination.subset} missing`,
      );
      total += d.weight;
    }
    assert.equal(total, 100, 'weights add up to 100');
    if (route.mirror)
      assert.ok(subsets.includes(route.mirror.subset), 'mirror subset exists');
  }
}

function checkHistory(record: ReleaseRecord) {
  const history = record.release.history ?? [];
  assert.ok(history.length > 0, 'history is not empty');
  assert.equal(history[0].from, null);
  for (let i = 1; i < history.length; i++) {
    assert.equal(
      history[i].from,
      history[i - 1].to,
      `history entry ${i} continues the previous one`,
    );
    assert.ok(
      Date.parse(history[i].at) >= Date.parse(history[i - 1].at),
      'history is in time order',
    );
  }
  assert.equal(
    history[history.length - 1].to,
    record.release.state,
    'history ends in the state',
  );
  const finals = history.filter(h => isReleaseFinished(h.to));
  assert.ok(finals.length <= 1, 'one final state at most');
  if (finals.length)
    assert.equal(
      history[history.length - 1],
      finals[0],
      'the final state is last',
    );
}

describe('the release state machine, over random operation sequences', () => {
  it('keeps every invariant (10 000 runs)', () => {
    let transitions = 0;
    const reached = new Set<string>();
    fc.assert(
      fc.property(scenarioArb, ({ plan, requiredApprovals, ops }) => {
        let record = newRecord({
          strategy: plan.strategy,
          plan: plan.plan,
          requiredApprovals,
          requestedBy: REQUESTER,
        });
        let now = T0;
        let lastWeight = appliedWeight(record);
        checkHistory(record);
        for (const [input, dt] of ops) {
          now += dt;
          const before = record;
          const finished = isReleaseFinished(before.release.state);
          let next: ReleaseRecord;
          try {
            next = transition(before, input, now, MACHINE);
          } catch (error) {
            // Refusals are the 4xx a person sees; never anything else.
            assert.ok(
              error instanceof ConflictError ||
                error instanceof NotAllowedError ||
                error instanceof InputError,
              `unexpected ${error}`,
            );
            continue;
          }
          transitions += 1;
          reached.add(next.release.state);
          if (finished) {
            // No promote (or anything else) after an abort or an end.
            assert.equal(next.release.state, before.release.state);
            assert.deepEqual(desiredState(next), desiredState(before));
            assert.equal(appliedWeight(next), appliedWeight(before));
          }
          record = next;
          const { release } = record;
          assert.equal(release.weights.stable + release.weights.canary, 100);
          checkRoutes(record);
          checkHistory(record);
          assert.ok(
            !release.approvals.some(a => a.by === REQUESTER),
            'the requester never approves',
          );
          assert.ok(
            release.steps.filter(s => s.status === 'active').length <= 1,
            'one active step',
          );
          const weight = appliedWeight(record);
          if (record.internal.outcome !== 'restored') {
            // Traffic to the new version only grows until an abort.
            assert.ok(
              weight >= lastWeight,
              `weight went from ${lastWeight} to ${weight}`,
            );
          } else if (record.internal.touched) {
            const intent = desiredState(record)!;
            if (intent.http) {
              assert.deepEqual(intent.http.at(-1)!.route, [
                {
                  destination: { host: 'payment-gateway', subset: 'stable' },
                  weight: 100,
                },
              ]);
            }
            assert.equal(
              intent.deployments.find(d => d.name === 'payment-gateway-2.8.0')
                ?.replicas ?? 0,
              0,
            );
          }
          lastWeight = weight;
        }
      }),
      { numRuns: 10_000 },
    );
    // The sequences really exercised the machine: every state was reached.
    expect(transitions).toBeGreaterThan(20_000);
    expect([...reached].sort()).toEqual([
      'analysing',
      'awaiting-approval',
      'failed',
      'paused',
      'progressing',
      'rejected',
      'rolled-back',
      'succeeded',
    ]);
  });
});
