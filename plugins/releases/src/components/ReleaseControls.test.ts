import { release, steps } from '../__testUtils__/fixtures';
import { availableControls, isTimedPause } from './ReleaseControls';

const on = (controls: Record<string, boolean>) =>
  Object.entries(controls)
    .filter(([, v]) => v)
    .map(([k]) => k);

describe('availableControls', () => {
  it('offers every move on a progressing canary before its last steps', () => {
    expect(on(availableControls(release()))).toEqual([
      'promoteNext',
      'promoteFull',
      'pause',
      'rollback',
    ]);
  });

  it('offers only roll back while waiting for approval (promoting cannot replace an approval)', () => {
    expect(
      on(availableControls(release({ state: 'awaiting-approval' }))),
    ).toEqual(['rollback']);
  });

  it('treats a timed pause as skippable, not resumable, and a person pause as resumable', () => {
    const timed = release({ state: 'paused' });
    expect(isTimedPause(timed)).toBe(true);
    expect(on(availableControls(timed))).toEqual([
      'promoteNext',
      'promoteFull',
      'pause',
      'rollback',
    ]);
    const byPerson = release({
      state: 'paused',
      reason: 'paused by user:default/pete',
    });
    expect(on(availableControls(byPerson))).toEqual([
      'promoteNext',
      'promoteFull',
      'resume',
      'rollback',
    ]);
  });

  it('refuses to promote over a hand edit (drift): resume or roll back', () => {
    const drifted = release({
      state: 'paused',
      reason: 'drift',
      drift: {
        detectedAt: '2026-11-29T10:03:00.000Z',
        details: 'weights 70/30',
      },
    });
    expect(on(availableControls(drifted))).toEqual(['resume', 'rollback']);
  });

  it('offers switch back and finish during the blue-green warm window', () => {
    const warm = release({
      strategy: 'blue-green',
      steps: steps([0, 100], 1),
      weights: { stable: 0, canary: 100 },
      blueGreen: {
        previewService: 'pg-preview',
        activeColor: 'green',
        warmUntil: '2026-11-29T10:30:00.000Z',
      },
    });
    expect(on(availableControls(warm))).toEqual([
      'endWarm',
      'pause',
      'rollback',
      'switchBack',
    ]);
  });

  it('offers nothing on a finished release', () => {
    for (const state of [
      'succeeded',
      'rolled-back',
      'rejected',
      'failed',
    ] as const) {
      expect(on(availableControls(release({ state })))).toEqual([]);
    }
  });
});
