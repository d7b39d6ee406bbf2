import { ReleaseStepPlan, Strategy } from '@fincloud/plugin-releases-common';

/** A plan row as the user edits it (text fields hold strings). */
export interface PlanRow {
  weight: string;
  pause: string;
  approval: boolean;
  analysis: boolean;
}

export function toRows(plan: ReleaseStepPlan[]): PlanRow[] {
  return plan.map(step => ({
    weight: String(step.weight),
    pause: step.pause ? String(step.pause.seconds) : '',
    approval: !!step.approval,
    analysis: !!step.analysis,
  }));
}

const MAX_PAUSE_SECONDS = 7 * 24 * 3600;

function pauseOf(row: PlanRow, errors: { pause?: string }): number | undefined {
  if (row.pause.trim() === '') return undefined;
  const pause = Number(row.pause);
  if (!Number.isInteger(pause) || pause < 0 || pause > MAX_PAUSE_SECONDS) {
    errors.pause = 'Whole seconds, up to 7 days';
    return undefined;
  }
  return pause;
}

export interface PlanCheck {
  /** Per row: what is wrong with its weight or pause. */
  rows: Array<{ weight?: string; pause?: string }>;
  /** What is wrong with the plan as a whole. */
  plan?: string;
  steps?: ReleaseStepPlan[];
}

/**
 * Where a plan the user customises starts when the service's default
 * strategy is another one (the backend's defaults for the default strategy
 * come with the options).
 */
export const STARTING_PLANS: Record<
  'canary' | 'blue-green',
  ReleaseStepPlan[]
> = {
  canary: [
    { weight: 5, pause: { seconds: 60 }, analysis: true },
    { weight: 20, pause: { seconds: 60 }, analysis: true },
    { weight: 50, approval: true, analysis: true },
    { weight: 100, analysis: true },
  ],
  'blue-green': [
    { weight: 0, pause: { seconds: 300 }, analysis: true },
    { weight: 100 },
  ],
};

/**
 * Checks a plan the way the backend will. Canary: whole percentages from 1
 * to 100, rising, ending at 100. Blue-green: the preview (0 %) and the switch
 * (100 %), whose weights the editor does not let anyone change. Pauses in
 * whole seconds. Returns the plan to send when everything is right.
 */
export function checkPlan(
  rows: PlanRow[],
  strategy: Strategy = 'canary',
): PlanCheck {
  if (strategy === 'blue-green') {
    const result: PlanCheck = { rows: rows.map(() => ({})) };
    if (
      rows.length !== 2 ||
      rows[0].weight !== '0' ||
      rows[1].weight !== '100'
    ) {
      result.plan =
        'A blue-green plan is the preview (0 %) and the switch (100 %).';
      return result;
    }
    const steps = rows.map((row, i) => {
      const pause = pauseOf(row, result.rows[i]);
      return {
        weight: Number(row.weight),
        ...(pause ? { pause: { seconds: pause } } : {}),
        ...(row.approval ? { approval: true } : {}),
        ...(row.analysis ? { analysis: true } : {}),
      };
    });
    if (result.rows.every(r => !r.pause)) result.steps = steps;
    return result;
  }
  const result: PlanCheck = { rows: rows.map(() => ({})) };
  if (rows.length === 0) {
    result.plan = 'Add at least one step.';
    return result;
  }
  let previous = 0;
  const steps: ReleaseStepPlan[] = [];
  rows.forEach((row, i) => {
    const weight = Number(row.weight);
    if (row.weight.trim() === '' || !Number.isInteger(weight)) {
      result.rows[i].weight = 'A whole percentage';
    } else if (weight < 1 || weight > 100) {
      result.rows[i].weight = 'Between 1 and 100';
    } else if (weight <= previous) {
      result.rows[i].weight = `More than the step before (${previous} %)`;
    }
    if (Number.isInteger(weight) && weight >= 1 && weight <= 100) {
      previous = Math.max(previous, weight);
    }
    const pause = pauseOf(row, result.rows[i]);
    steps.push({
      weight,
      ...(pause ? { pause: { seconds: pause } } : {}),
      ...(row.approval ? { approval: true } : {}),
      ...(row.analysis ? { analysis: true } : {}),
    });
  });
  const last = Number(rows[rows.length - 1].weight);
  if (last !== 100) {
    result.plan =
      'The last step must send 100 % of traffic to the new version.';
  }
  if (!result.plan && result.rows.every(r => !r.weight && !r.pause)) {
    result.steps = steps;
  }
  return result;
}

/**
 * The image to release: a full reference as typed, or a bare tag put on the
 * repository of the image running now (`1.4.0` → `registry/pg:1.4.0`).
 */
export function resolveImage(
  input: string,
  currentImage?: string,
): { image?: string; error?: string } {
  const value = input.trim();
  if (!value) return { error: 'Give an image reference or a tag.' };
  if (/\s/.test(value)) return { error: 'An image reference has no spaces.' };
  if (value.includes('/') || value.includes(':') || value.includes('@')) {
    return { image: value };
  }
  if (!currentImage) {
    return {
      error:
        'No image runs yet to take the repository from: give a full image reference.',
    };
  }
  const withoutDigest = currentImage.split('@')[0];
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const repository =
    colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
  return { image: `${repository}:${value}` };
}
