import { checkPlan, resolveImage, toRows } from './plan';

const row = (
  weight: string,
  pause = '',
  approval = false,
  analysis = false,
) => ({
  weight,
  pause,
  approval,
  analysis,
});

describe('checkPlan', () => {
  it('accepts rising whole weights ending at 100 and sends only what is set', () => {
    expect(
      checkPlan([row('5', '30', false, true), row('50', '', true), row('100')]),
    ).toEqual({
      rows: [{}, {}, {}],
      steps: [
        { weight: 5, pause: { seconds: 30 }, analysis: true },
        { weight: 50, approval: true },
        { weight: 100 },
      ],
    });
  });

  it('refuses a plan that does not end at 100, and says so', () => {
    const result = checkPlan([row('5'), row('50')]);
    expect(result.steps).toBeUndefined();
    expect(result.plan).toBe(
      'The last step must send 100 % of traffic to the new version.',
    );
  });

  it('names the step whose weight is wrong', () => {
    const result = checkPlan([
      row('20'),
      row('10'),
      row('abc'),
      row('150'),
      row('100'),
    ]);
    expect(result.steps).toBeUndefined();
    expect(result.rows).toEqual([
      {},
      { weight: 'More than the step before (20 %)' },
      { weight: 'A whole percentage' },
      { weight: 'Between 1 and 100' },
      {},
    ]);
  });

  it('refuses fractional or negative pauses and an empty plan', () => {
    expect(checkPlan([row('50', '1.5'), row('100', '-1')]).rows).toEqual([
      { pause: 'Whole seconds, up to 7 days' },
      { pause: 'Whole seconds, up to 7 days' },
    ]);
    expect(checkPlan([]).plan).toBe('Add at least one step.');
  });

  it('round-trips the default plan from the options', () => {
    const plan = [
      { weight: 10, pause: { seconds: 5 } },
      { weight: 100, approval: true, analysis: true },
    ];
    expect(checkPlan(toRows(plan)).steps).toEqual(plan);
  });
});

describe('resolveImage', () => {
  it('puts a bare tag on the repository of the running image', () => {
    expect(
      resolveImage('1.5.0', 'registry.local:5000/payments/pg:1.4.2'),
    ).toEqual({
      image: 'registry.local:5000/payments/pg:1.5.0',
    });
    expect(
      resolveImage('1.5.0', 'registry.local/payments/pg@sha256:abc'),
    ).toEqual({
      image: 'registry.local/payments/pg:1.5.0',
    });
  });

  it('keeps a full reference as typed', () => {
    expect(resolveImage(' other/pg:2.0.0 ', 'registry.local/pg:1')).toEqual({
      image: 'other/pg:2.0.0',
    });
  });

  it('explains what is missing', () => {
    expect(resolveImage('', 'r/pg:1').error).toBe(
      'Give an image reference or a tag.',
    );
    expect(resolveImage('1.5.0').error).toMatch(/give a full image reference/);
    expect(resolveImage('r/pg 1').error).toMatch(/no spaces/);
  });
});
