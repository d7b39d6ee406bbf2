import { SchedulingCheck } from '@fincloud/plugin-releases-common';

/** A node requirement of a profile (required node affinity). */
export interface NodeRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** A toleration a profile adds. */
export interface ProfileToleration {
  key: string;
  operator?: 'Equal' | 'Exists';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** A named, platform-owned set of pod scheduling settings. */
export interface SchedulingProfileSpec {
  name: string;
  /** Required node affinity: every requirement must hold. */
  nodeAffinity?: NodeRequirement[];
  tolerations?: ProfileToleration[];
  /** Pods of one version never share a value of this node label (required anti-affinity). */
  spreadAcross?: string;
}

/** The profiles fincloud ships when the configuration names none. */
export const DEFAULT_SCHEDULING_PROFILES: SchedulingProfileSpec[] = [
  {
    name: 'high-performance',
    nodeAffinity: [
      {
        key: 'fincloud.io/pool',
        operator: 'In',
        values: ['high-performance'],
      },
    ],
    tolerations: [
      {
        key: 'dedicated',
        operator: 'Equal',
        value: 'high-performance',
        effect: 'NoSchedule',
      },
    ],
    spreadAcross: 'kubernetes.io/hostname',
  },
  { name: 'general' },
];

/**
 * Applies a profile to a pod spec (a copy is returned): required node
 * affinity, tolerations added to those already there, and a required pod
 * anti-affinity between the pods of `podLabels` across `spreadAcross`.
 */
export function applyProfile(
  podSpec: any,
  profile: SchedulingProfileSpec | undefined,
  podLabels: Record<string, string>,
): any {
  if (!profile) return podSpec;
  const spec = JSON.parse(JSON.stringify(podSpec ?? {}));
  if (profile.tolerations?.length) {
    const existing: any[] = spec.tolerations ?? [];
    const key = (t: any) =>
      `${t.key}|${t.operator ?? 'Equal'}|${t.value ?? ''}|${t.effect ?? ''}`;
    const seen = new Set(existing.map(key));
    spec.tolerations = [
      ...existing,
      ...profile.tolerations
        .filter(t => !seen.has(key(t)))
        .map(t => ({ operator: 'Equal', ...t })),
    ];
  }
  const affinity: any = spec.affinity ?? {};
  if (profile.nodeAffinity?.length) {
    affinity.nodeAffinity = {
      ...(affinity.nodeAffinity ?? {}),
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          {
            matchExpressions: profile.nodeAffinity.map(r => ({
              key: r.key,
              operator: r.operator,
              ...(r.values ? { values: [...r.values] } : {}),
            })),
          },
        ],
      },
    };
  }
  if (profile.spreadAcross) {
    affinity.podAntiAffinity = {
      ...(affinity.podAntiAffinity ?? {}),
      requiredDuringSchedulingIgnoredDuringExecution: [
        {
          labelSelector: { matchLabels: { ...podLabels } },
          topologyKey: profile.spreadAcross,
        },
      ],
    };
  }
  if (Object.keys(affinity).length) spec.affinity = affinity;
  return spec;
}

interface NodeLike {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: {
    unschedulable?: boolean;
    taints?: Array<{ key: string; value?: string; effect: string }>;
  };
}

function tolerates(
  tolerations: ProfileToleration[],
  taint: { key: string; value?: string; effect: string },
): boolean {
  return tolerations.some(t => {
    if (t.effect && t.effect !== taint.effect) return false;
    if ((t.operator ?? 'Equal') === 'Exists')
      return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function matches(req: NodeRequirement, labels: Record<string, string>) {
  const value = labels[req.key];
  switch (req.operator) {
    case 'In':
      return value !== undefined && (req.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(req.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    default:
      return false;
  }
}

/**
 * Whether the cluster's nodes can hold `replicas` pods of a profile: the
 * nodes that are schedulable, match the required node affinity and whose
 * NoSchedule / NoExecute taints the pod tolerates (counting the tolerations
 * the workload already has); with `spreadAcross`, one pod per distinct
 * value of that label. Resources are not counted (the scheduler reports them).
 */
export function checkProfile(
  profile: SchedulingProfileSpec,
  nodes: NodeLike[],
  replicas: number,
  workloadTolerations: ProfileToleration[] = [],
): SchedulingCheck {
  const tolerations = [...workloadTolerations, ...(profile.tolerations ?? [])];
  const fit: NodeLike[] = [];
  const reasons = new Map<string, number>();
  const count = (reason: string) =>
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  for (const node of nodes) {
    const labels = node.metadata?.labels ?? {};
    if (node.spec?.unschedulable) {
      count('unschedulable');
      continue;
    }
    const untolerated = (node.spec?.taints ?? []).find(
      t =>
        (t.effect === 'NoSchedule' || t.effect === 'NoExecute') &&
        !tolerates(tolerations, t),
    );
    if (untolerated) {
      count(
        `taint ${untolerated.key}=${untolerated.value ?? ''}:${
          untolerated.effect
        }`,
      );
      continue;
    }
    if (!(profile.nodeAffinity ?? []).every(r => matches(r, labels))) {
      count('node affinity');
      continue;
    }
    fit.push(node);
  }
  const names = fit
    .map(n => n.metadata?.name ?? '')
    .filter(Boolean)
    .sort();
  const why = [...reasons.entries()]
    .map(([reason, n]) => `${n} excluded by ${reason}`)
    .join(', ');
  if (fit.length === 0) {
    return {
      profile: profile.name,
      satisfiable: false,
      nodes: [],
      message: `No node of the cluster fits profile "${profile.name}" (${
        nodes.length
      } nodes: ${why || 'none'}).`,
    };
  }
  if (profile.spreadAcross) {
    const domains = new Set(
      fit.map(n => n.metadata?.labels?.[profile.spreadAcross!]).filter(Boolean),
    );
    if (domains.size < replicas) {
      return {
        profile: profile.name,
        satisfiable: false,
        nodes: names,
        message: `Profile "${profile.name}" spreads pods across ${
          profile.spreadAcross
        }: ${replicas} replicas need ${replicas} distinct nodes, only ${
          domains.size
        } fit (${names.join(', ')}).`,
      };
    }
  }
  return {
    profile: profile.name,
    satisfiable: true,
    nodes: names,
    message: `${names.length} node(s) fit profile "${
      profile.name
    }": ${names.join(', ')}.`,
  };
}
