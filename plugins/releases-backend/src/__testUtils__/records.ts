import {
  Release,
  ReleaseStepPlan,
  Strategy,
} from '@fincloud/plugin-releases-common';
import { startRelease } from '../domain/machine';
import { planToSteps } from '../domain/plan';
import { MachineConfig, ReleaseRecord } from '../domain/types';

export const T0 = Date.parse('2026-11-02T09:00:00Z');

export const MACHINE: MachineConfig = {
  approvalTtlMs: 3600_000,
  warmMs: 600_000,
  analysisTimeoutMs: 300_000,
};

/** A new release record as the service makes it (before it is stored). */
export function newRecord(options: {
  strategy?: Strategy;
  plan?: ReleaseStepPlan[];
  requiredApprovals?: number;
  requestedBy?: string;
  now?: number;
}): ReleaseRecord {
  const strategy = options.strategy ?? 'canary';
  const defaults: Record<Strategy, ReleaseStepPlan[]> = {
    rolling: [{ weight: 100 }],
    'blue-green': [{ weight: 0 }, { weight: 100 }],
    canary: [{ weight: 5 }, { weight: 20 }, { weight: 50 }, { weight: 100 }],
  };
  const plan = options.plan ?? defaults[strategy];
  const at = new Date(options.now ?? T0).toISOString();
  const release: Release = {
    id: 'r-1',
    entityRef: 'component:default/payment-gateway',
    cluster: 'sim',
    namespace: 'payments',
    workload: 'payment-gateway',
    strategy,
    image: 'registry.fincloud.example/payments/payment-gateway:2.8.0',
    version: '2.8.0',
    stableVersion: 'v1',
    state: undefined as any,
    currentStep: 0,
    steps: planToSteps(strategy, plan),
    weights: { stable: 100, canary: 0 },
    requiredApprovals: options.requiredApprovals ?? 0,
    approvals: [],
    requestedBy: options.requestedBy ?? 'user:default/pete',
    createdAt: at,
    updatedAt: at,
    analyses: [],
    ...(strategy === 'blue-green'
      ? {
          blueGreen: {
            previewService: 'payment-gateway-preview',
            activeColor: 'blue' as const,
          },
        }
      : {}),
    revision: 1,
    history: [],
  };
  return startRelease(
    {
      release,
      internal: {
        stableDeployment: 'payment-gateway',
        ...(strategy !== 'rolling'
          ? { newDeployment: 'payment-gateway-2.8.0' }
          : {}),
        container: 'payment-gateway',
        previousImage:
          'registry.fincloud.example/payments/payment-gateway:2.7.0',
        stableReplicas: 3,
        phase: 'start',
        touched: false,
        reapply: 0,
        applyFailures: 0,
      },
    },
    options.now ?? T0,
    MACHINE,
  );
}
