import { InputError } from '@backstage/errors';
import {
  ReleaseStep,
  ReleaseStepPlan,
  Strategy,
} from '@fincloud/plugin-releases-common';

/** The longest plan accepted. */
export const MAX_STEPS = 20;

/** Default plans when the configuration gives none. */
export const DEFAULT_PLANS: Record<Strategy, ReleaseStepPlan[]> = {
  rolling: [{ weight: 100 }],
  canary: [
    { weight: 5, analysis: true, pause: { seconds: 60 } },
    { weight: 20, analysis: true, pause: { seconds: 60 } },
    { weight: 50, analysis: true, approval: true },
    { weight: 100, analysis: true },
  ],
  'blue-green': [
    { weight: 0, analysis: true, pause: { seconds: 300 } },
    { weight: 100 },
  ],
};

/**
 * Checks a plan for a strategy and returns it as steps. Rolling: one step of
 * 100 %. Canary: strictly increasing integer weights in 1..100 ending at 100.
 * Blue-green: a preview step of 0 % then the switch to 100 %.
 */
export function planToSteps(
  strategy: Strategy,
  plan: ReleaseStepPlan[],
): ReleaseStep[] {
  if (!Array.isArray(plan) || plan.length === 0) {
    throw new InputError('a release plan needs at least one step');
  }
  if (plan.length > MAX_STEPS) {
    throw new InputError(`a release plan has at most ${MAX_STEPS} steps`);
  }
  plan.forEach((step, i) => {
    if (
      !Number.isInteger(step.weight) ||
      step.weight < 0 ||
      step.weight > 100
    ) {
      throw new InputError(
        `steps[${i}].weight must be an integer from 0 to 100, got ${step.weight}`,
      );
    }
    if (
      step.pause !== undefined &&
      (!Number.isInteger(step.pause.seconds) ||
        step.pause.seconds < 0 ||
        step.pause.seconds > 7 * 24 * 3600)
    ) {
      throw new InputError(
        `steps[${i}].pause.seconds must be an integer from 0 to 604800`,
      );
    }
  });
  const weights = plan.map(s => s.weight);
  if (weights[weights.length - 1] !== 100) {
    throw new InputError(
      'the last step of a plan must send 100 % to the new version',
    );
  }
  if (strategy === 'rolling' && plan.length !== 1) {
    throw new InputError(
      'a rolling release has one step (Kubernetes replaces the pods); use canary for a step plan',
    );
  }
  if (strategy === 'canary') {
    weights.forEach((w, i) => {
      if (w < 1)
        throw new InputError(
          `steps[${i}].weight must be at least 1 for a canary`,
        );
      if (i > 0 && w <= weights[i - 1]) {
        throw new InputError(
          `canary weights must increase step by step (steps[${i}].weight ${w} after ${
            weights[i - 1]
          })`,
        );
      }
    });
  }
  if (strategy === 'blue-green' && (plan.length !== 2 || weights[0] !== 0)) {
    throw new InputError(
      'a blue-green plan has two steps: the preview (weight 0) and the switch (weight 100)',
    );
  }
  return plan.map((step, index) => ({
    index,
    weight: step.weight,
    ...(step.pause && step.pause.seconds > 0
      ? { pause: { seconds: step.pause.seconds } }
      : {}),
    ...(step.approval ? { approval: true } : {}),
    ...(step.analysis ? { analysis: true } : {}),
    status: 'pending' as const,
  }));
}
