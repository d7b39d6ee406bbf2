import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';
import { ReleaseStepPlan, Strategy } from '@fincloud/plugin-releases-common';
import { FreezeWindow, validateFreezeWindow } from './domain/freeze';
import { DEFAULT_PLANS, planToSteps } from './domain/plan';
import {
  DEFAULT_SCHEDULING_PROFILES,
  SchedulingProfileSpec,
} from './domain/scheduling';
import { DEFAULT_GATES, MetricGate } from './metrics/MetricsProvider';

/** `fincloud.releases`, read and checked at start. */
export interface ReleasesConfig {
  defaultApprovals: number;
  approvalTtlMs: number;
  warmMs: number;
  plans: Record<Strategy, ReleaseStepPlan[]>;
  freezeWindows: FreezeWindow[];
  schedulingProfiles: SchedulingProfileSpec[];
  defaultSchedulingProfile?: string;
  controller: {
    intervalSeconds: number;
    leaseMs: number;
    maxApplyAttempts: number;
    concurrency: number;
  };
  analysis: {
    prometheusUrl?: string;
    prometheusByCluster: Record<string, string>;
    window: string;
    intervalMs: number;
    timeoutMs: number;
    gates: MetricGate[];
  };
}

const KEY = 'fincloud.releases';

function durationMs(config: Config, key: string, fallbackMs: number): number {
  if (!config.has(key)) return fallbackMs;
  return durationToMilliseconds(readDurationFromConfig(config, { key }));
}

function readPlan(config: Config, key: string): ReleaseStepPlan[] {
  return config.getConfigArray(key).map(step => ({
    weight: step.getNumber('weight'),
    ...(step.has('pause')
      ? { pause: { seconds: step.getNumber('pause.seconds') } }
      : {}),
    ...(step.getOptionalBoolean('approval') ? { approval: true } : {}),
    ...(step.getOptionalBoolean('analysis') ? { analysis: true } : {}),
  }));
}

function positive(value: number, key: string, max: number) {
  if (!(value > 0 && value <= max)) {
    throw new InputError(
      `${KEY}.${key} must be between 0 and ${max}, got ${value}`,
    );
  }
  return value;
}

/** Reads `fincloud.releases`; a mistake stops the backend with the key at fault. */
export function readReleasesConfig(root: Config): ReleasesConfig {
  const c = root.getOptionalConfig(KEY);
  const get = <T>(fn: (cfg: Config) => T | undefined, fallback: T): T =>
    (c ? fn(c) : undefined) ?? fallback;

  const defaultApprovals = get(
    cfg => cfg.getOptionalNumber('defaultApprovals'),
    1,
  );
  if (
    !Number.isInteger(defaultApprovals) ||
    defaultApprovals < 0 ||
    defaultApprovals > 10
  ) {
    throw new InputError(
      `${KEY}.defaultApprovals must be an integer from 0 to 10`,
    );
  }

  const plans = { ...DEFAULT_PLANS };
  if (c?.has('plans.canary')) plans.canary = readPlan(c, 'plans.canary');
  if (c?.has('plans.blueGreen'))
    plans['blue-green'] = readPlan(c, 'plans.blueGreen');
  for (const strategy of ['canary', 'blue-green'] as Strategy[]) {
    try {
      planToSteps(strategy, plans[strategy]);
    } catch (error) {
      throw new InputError(
        `${KEY}.plans.${strategy === 'blue-green' ? 'blueGreen' : 'canary'}: ${
          (error as Error).message
        }`,
      );
    }
  }

  const freezeWindows: FreezeWindow[] = (
    c?.getOptionalConfigArray('freezeWindows') ?? []
  ).map((w, i) => {
    const window: FreezeWindow = {
      name: w.getOptionalString('name') ?? `freeze-${i + 1}`,
      system: w.getOptionalString('system'),
      cron: w.getString('cron'),
      durationHours: w.getNumber('durationHours'),
      timezone: w.getOptionalString('timezone') ?? 'UTC',
    };
    try {
      validateFreezeWindow(window);
    } catch (error) {
      throw new InputError(
        `${KEY}.freezeWindows[${i}]: ${(error as Error).message}`,
      );
    }
    return window;
  });

  const profiles = c?.getOptionalConfigArray('schedulingProfiles');
  const schedulingProfiles: SchedulingProfileSpec[] = profiles
    ? profiles.map((p, i) => {
        const name = p.getString('name');
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
          throw new InputError(
            `${KEY}.schedulingProfiles[${i}].name "${name}" must be a lowercase name`,
          );
        }
        return {
          name,
          ...(p.has('nodeAffinity')
            ? {
                nodeAffinity: p.getConfigArray('nodeAffinity').map(r => {
                  const operator = r.getString('operator');
                  if (
                    !['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(
                      operator,
                    )
                  ) {
                    throw new InputError(
                      `${KEY}.schedulingProfiles[${i}].nodeAffinity: operator must be In, NotIn, Exists or DoesNotExist`,
                    );
                  }
                  return {
                    key: r.getString('key'),
                    operator: operator as any,
                    ...(r.has('values')
                      ? { values: r.getStringArray('values') }
                      : {}),
                  };
                }),
              }
            : {}),
          ...(p.has('tolerations')
            ? {
                tolerations: p.getConfigArray('tolerations').map(t => ({
                  key: t.getString('key'),
                  ...(t.has('operator')
                    ? { operator: t.getString('operator') as any }
                    : {}),
                  ...(t.has('value') ? { value: t.getString('value') } : {}),
                  ...(t.has('effect')
                    ? { effect: t.getString('effect') as any }
                    : {}),
                })),
              }
            : {}),
          ...(p.has('spreadAcross')
            ? { spreadAcross: p.getString('spreadAcross') }
            : {}),
        };
      })
    : DEFAULT_SCHEDULING_PROFILES;
  const names = new Set<string>();
  for (const p of schedulingProfiles) {
    if (names.has(p.name)) {
      throw new InputError(
        `${KEY}.schedulingProfiles: "${p.name}" is defined twice`,
      );
    }
    names.add(p.name);
  }
  const defaultSchedulingProfile = c?.getOptionalString(
    'defaultSchedulingProfile',
  );
  if (defaultSchedulingProfile && !names.has(defaultSchedulingProfile)) {
    throw new InputError(
      `${KEY}.defaultSchedulingProfile "${defaultSchedulingProfile}" is not a defined profile`,
    );
  }

  const gatesConfig = c?.getOptionalConfigArray('analysis.gates');
  const gates: MetricGate[] = gatesConfig
    ? gatesConfig.map(g => ({
        name: g.getString('name'),
        query: g.getString('query'),
        threshold: {
          ...(g.has('threshold.min')
            ? { min: g.getNumber('threshold.min') }
            : {}),
          ...(g.has('threshold.max')
            ? { max: g.getNumber('threshold.max') }
            : {}),
          ...(g.has('threshold.maxRatioToStable')
            ? { maxRatioToStable: g.getNumber('threshold.maxRatioToStable') }
            : {}),
          ...(g.has('threshold.maxDropFromStable')
            ? { maxDropFromStable: g.getNumber('threshold.maxDropFromStable') }
            : {}),
        },
      }))
    : DEFAULT_GATES;
  const window = get(cfg => cfg.getOptionalString('analysis.window'), '1m');
  if (!/^\d+(ms|s|m|h)$/.test(window)) {
    throw new InputError(
      `${KEY}.analysis.window must be a PromQL range like 30s or 1m`,
    );
  }
  const byCluster: Record<string, string> = {};
  for (const entry of c?.getOptionalConfigArray('analysis.clusters') ?? []) {
    byCluster[entry.getString('cluster')] = entry.getString('prometheusUrl');
  }

  return {
    defaultApprovals,
    approvalTtlMs: c
      ? durationMs(c, 'approvalTtl', 24 * 3600_000)
      : 24 * 3600_000,
    warmMs:
      1000 *
      positive(
        get(cfg => cfg.getOptionalNumber('blueGreen.warmSeconds'), 600),
        'blueGreen.warmSeconds',
        7 * 86400,
      ),
    plans,
    freezeWindows,
    schedulingProfiles,
    defaultSchedulingProfile,
    controller: {
      intervalSeconds: positive(
        get(cfg => cfg.getOptionalNumber('controller.intervalSeconds'), 5),
        'controller.intervalSeconds',
        3600,
      ),
      leaseMs:
        1000 *
        positive(
          get(cfg => cfg.getOptionalNumber('controller.leaseSeconds'), 30),
          'controller.leaseSeconds',
          3600,
        ),
      maxApplyAttempts: positive(
        get(cfg => cfg.getOptionalNumber('controller.maxApplyAttempts'), 5),
        'controller.maxApplyAttempts',
        100,
      ),
      concurrency: positive(
        get(cfg => cfg.getOptionalNumber('controller.concurrency'), 16),
        'controller.concurrency',
        256,
      ),
    },
    analysis: {
      prometheusUrl: c?.getOptionalString('analysis.prometheusUrl'),
      prometheusByCluster: byCluster,
      window,
      intervalMs:
        1000 *
        positive(
          get(cfg => cfg.getOptionalNumber('analysis.intervalSeconds'), 15),
          'analysis.intervalSeconds',
          3600,
        ),
      timeoutMs:
        1000 *
        positive(
          get(cfg => cfg.getOptionalNumber('analysis.timeoutSeconds'), 600),
          'analysis.timeoutSeconds',
          86400,
        ),
      gates,
    },
  };
}
