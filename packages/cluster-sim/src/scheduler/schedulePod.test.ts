import type {
  V1Node,
  V1NodeSelectorRequirement,
  V1Pod,
  V1Taint,
} from '@kubernetes/client-node';
import { schedulePod } from './schedulePod';
import { milliValue, value } from './quantity';
import type { ScheduleResult } from '../contracts';

// ---------------------------------------------------------------- fixtures

interface NodeOpts {
  labels?: Record<string, string>;
  taints?: V1Taint[];
  cpu?: string;
  memory?: string;
  pods?: string;
  unschedulable?: boolean;
  extra?: Record<string, string>;
}

function node(name: string, o: NodeOpts = {}): V1Node {
  return {
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, ...o.labels },
    },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: {
      allocatable: {
        cpu: o.cpu ?? '4',
        memory: o.memory ?? '8Gi',
        pods: o.pods ?? '110',
        ...o.extra,
      },
    },
  };
}

let uid = 0;
function pod(
  name: string,
  spec: Partial<V1Pod['spec']> = {},
  meta: Partial<V1Pod['metadata']> = {},
): V1Pod {
  uid += 1;
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${uid}`,
      ...meta,
    },
    spec: {
      containers: [{ name: 'app', image: 'nginx' }],
      ...spec,
    },
  };
}

function requests(cpu?: string, memory?: string) {
  const r: Record<string, string> = {};
  if (cpu) r.cpu = cpu;
  if (memory) r.memory = memory;
  return {
    containers: [{ name: 'app', image: 'app', resources: { requests: r } }],
  };
}

function placed(nodeName: string, p: V1Pod): V1Pod {
  return { ...p, spec: { ...p.spec!, nodeName }, status: { phase: 'Running' } };
}

function byNode(...pods: V1Pod[]): Map<string, V1Pod[]> {
  const m = new Map<string, V1Pod[]>();
  for (const p of pods) {
    const n = p.spec!.nodeName!;
    m.set(n, [...(m.get(n) ?? []), p]);
  }
  return m;
}

const HP_TAINT: V1Taint = {
  key: 'dedicated',
  value: 'high-performance',
  effect: 'NoSchedule',
};
const HP_LABELS = { 'fincloud.io/pool': 'high-performance' };
const GENERAL_LABELS = { 'fincloud.io/pool': 'general' };

/** The seed's shape: two tainted high-performance nodes, three general ones. */
function fincloudNodes(): V1Node[] {
  return [
    node('hp-1', {
      labels: HP_LABELS,
      taints: [HP_TAINT],
      cpu: '16',
      memory: '64Gi',
    }),
    node('hp-2', {
      labels: HP_LABELS,
      taints: [HP_TAINT],
      cpu: '16',
      memory: '64Gi',
    }),
    node('general-1', { labels: GENERAL_LABELS }),
    node('general-2', { labels: GENERAL_LABELS }),
    node('general-3', { labels: GENERAL_LABELS }),
  ];
}

const HP_TOLERATION = {
  key: 'dedicated',
  operator: 'Equal',
  value: 'high-performance',
  effect: 'NoSchedule',
};

const notHelpful = (n: number) =>
  `preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;
const noVictims = (n: number) =>
  `preemption: 0/${n} nodes are available: ${n} No preemption victims found for incoming pod.`;

interface Case {
  name: string;
  pod: V1Pod;
  nodes: V1Node[];
  existing?: V1Pod[];
  /** The node chosen, one of several acceptable nodes, or the exact message. */
  expect: { node: string } | { oneOf: string[] } | { message: string };
}

const antiAffinityWeb = {
  podAntiAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: [
      {
        labelSelector: { matchLabels: { app: 'web' } },
        topologyKey: 'kubernetes.io/hostname',
      },
    ],
  },
};

const cases: Case[] = [
  // ---------------------------------------------------- already bound, no nodes
  {
    name: 'spec.nodeName already set: kept as bound',
    pod: pod('bound', { nodeName: 'general-2' }),
    nodes: fincloudNodes(),
    expect: { node: 'general-2' },
  },
  {
    name: 'no nodes at all',
    pod: pod('lonely'),
    nodes: [],
    expect: { message: 'no nodes available to schedule pods' },
  },

  // ---------------------------------------------------- the high-performance pool
  {
    name: 'high-performance selector without toleration: the brief example, verbatim',
    pod: pod('risk-engine', { nodeSelector: HP_LABELS }),
    nodes: fincloudNodes(),
    expect: {
      message: `0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: high-performance}, 3 node(s) didn't match Pod's node affinity/selector. ${notHelpful(
        5,
      )}`,
    },
  },
  {
    name: 'high-performance selector with toleration: lands in the pool',
    pod: pod('risk-engine', {
      nodeSelector: HP_LABELS,
      tolerations: [HP_TOLERATION],
    }),
    nodes: fincloudNodes(),
    expect: { oneOf: ['hp-1', 'hp-2'] },
  },
  {
    name: 'high-performance via required node affinity In + toleration',
    pod: pod('risk-engine', {
      tolerations: [HP_TOLERATION],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  {
                    key: 'fincloud.io/pool',
                    operator: 'In',
                    values: ['high-performance'],
                  },
                ],
              },
            ],
          },
        },
      },
    }),
    nodes: fincloudNodes(),
    expect: { oneOf: ['hp-1', 'hp-2'] },
  },
  {
    name: 'an ordinary pod never lands on the tainted pool',
    pod: pod('user-portal'),
    nodes: fincloudNodes(),
    expect: { oneOf: ['general-1', 'general-2', 'general-3'] },
  },
  {
    name: 'toleration with the wrong value does not tolerate',
    pod: pod('risk-engine', {
      nodeSelector: HP_LABELS,
      tolerations: [{ ...HP_TOLERATION, value: 'gpu' }],
    }),
    nodes: fincloudNodes(),
    expect: {
      message: `0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: high-performance}, 3 node(s) didn't match Pod's node affinity/selector. ${notHelpful(
        5,
      )}`,
    },
  },
  {
    name: 'Exists toleration on the key tolerates any value',
    pod: pod('risk-engine', {
      nodeSelector: HP_LABELS,
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
    }),
    nodes: fincloudNodes(),
    expect: { oneOf: ['hp-1', 'hp-2'] },
  },
  {
    name: 'empty key with Exists tolerates every taint',
    pod: pod('daemon', {
      nodeSelector: HP_LABELS,
      tolerations: [{ operator: 'Exists' }],
    }),
    nodes: fincloudNodes(),
    expect: { oneOf: ['hp-1', 'hp-2'] },
  },
  {
    name: 'toleration for a different effect does not tolerate',
    pod: pod('risk-engine', {
      nodeSelector: HP_LABELS,
      tolerations: [{ ...HP_TOLERATION, effect: 'NoExecute' }],
    }),
    nodes: fincloudNodes(),
    expect: {
      message: `0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: high-performance}, 3 node(s) didn't match Pod's node affinity/selector. ${notHelpful(
        5,
      )}`,
    },
  },
  {
    name: 'NoExecute taints filter like NoSchedule; a key-only taint prints an empty value',
    pod: pod('p'),
    nodes: [
      node('a', {
        taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }],
      }),
    ],
    expect: {
      message: `0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. ${notHelpful(
        1,
      )}`,
    },
  },
  {
    name: 'PreferNoSchedule is not a filter but a score: avoided when there is a choice',
    pod: pod('p'),
    nodes: [
      node('a', {
        taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }],
      }),
      node('b'),
    ],
    expect: { node: 'b' },
  },
  {
    name: 'PreferNoSchedule alone still schedules',
    pod: pod('p'),
    nodes: [
      node('a', {
        taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }],
      }),
    ],
    expect: { node: 'a' },
  },

  // ---------------------------------------------------- cordoned nodes
  {
    name: 'cordoned node: node(s) were unschedulable',
    pod: pod('p'),
    nodes: [
      node('a', { unschedulable: true }),
      node('b', { unschedulable: true }),
    ],
    expect: {
      message: `0/2 nodes are available: 2 node(s) were unschedulable. ${notHelpful(
        2,
      )}`,
    },
  },
  {
    name: 'cordoned node is skipped, the other one used',
    pod: pod('p'),
    nodes: [node('a', { unschedulable: true }), node('b')],
    expect: { node: 'b' },
  },
  {
    name: 'the unschedulable toleration lets a pod onto a cordoned node',
    pod: pod('p', {
      tolerations: [
        {
          key: 'node.kubernetes.io/unschedulable',
          operator: 'Exists',
          effect: 'NoSchedule',
        },
      ],
    }),
    nodes: [node('a', { unschedulable: true })],
    expect: { node: 'a' },
  },
  {
    name: 'unschedulable is checked before taints (first failing filter wins)',
    pod: pod('p'),
    nodes: [node('a', { unschedulable: true, taints: [HP_TAINT] })],
    expect: {
      message: `0/1 nodes are available: 1 node(s) were unschedulable. ${notHelpful(
        1,
      )}`,
    },
  },

  // ---------------------------------------------------- node affinity operators
  ...(
    [
      ['In', { key: 'zone', operator: 'In', values: ['z2', 'z3'] }, 'b'],
      ['NotIn', { key: 'zone', operator: 'NotIn', values: ['z1', 'z3'] }, 'b'],
      ['Exists', { key: 'ssd', operator: 'Exists' }, 'c'],
      ['DoesNotExist', { key: 'zone', operator: 'DoesNotExist' }, 'd'],
      ['Gt', { key: 'cores', operator: 'Gt', values: ['16'] }, 'c'],
      ['Lt', { key: 'cores', operator: 'Lt', values: ['8'] }, 'a'],
    ] as Array<[string, V1NodeSelectorRequirement, string]>
  ).map(([op, requirement, expected]) => ({
    name: `required node affinity ${op}`,
    pod: pod('p', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [requirement],
              },
            ],
          },
        },
      },
    }),
    nodes: [
      node('a', { labels: { zone: 'z1', cores: '4' } }),
      node('b', { labels: { zone: 'z2', cores: '8' } }),
      node('c', { labels: { zone: 'z3', cores: '32', ssd: 'true' } }),
      node('d', { labels: { cores: 'many' } }),
    ],
    expect: { node: expected },
  })),
  {
    name: 'node selector terms are ORed, expressions within a term ANDed',
    pod: pod('p', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'zone', operator: 'In', values: ['z1'] },
                  { key: 'ssd', operator: 'Exists' },
                ],
              },
              {
                matchExpressions: [
                  { key: 'zone', operator: 'In', values: ['z9'] },
                ],
              },
            ],
          },
        },
      },
    }),
    nodes: [
      node('a', { labels: { zone: 'z1' } }),
      node('b', { labels: { zone: 'z1', ssd: 'yes' } }),
    ],
    expect: { node: 'b' },
  },
  {
    name: 'nodeSelector and node affinity must both hold',
    pod: pod('p', {
      nodeSelector: { disk: 'ssd' },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'zone', operator: 'In', values: ['z1'] },
                ],
              },
            ],
          },
        },
      },
    }),
    nodes: [
      node('a', { labels: { zone: 'z1' } }),
      node('b', { labels: { disk: 'ssd', zone: 'z2' } }),
    ],
    expect: {
      message: `0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. ${notHelpful(
        2,
      )}`,
    },
  },
  {
    name: 'matchFields metadata.name pins the node; the others are not evaluated',
    pod: pod('p', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchFields: [
                  { key: 'metadata.name', operator: 'In', values: ['c'] },
                ],
              },
            ],
          },
        },
      },
    }),
    nodes: [node('a'), node('b'), node('c')],
    expect: { node: 'c' },
  },
  {
    name: 'matchFields to a full node: absent nodes reported as not satisfying NodeAffinity',
    pod: pod('p', {
      ...requests('3'),
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchFields: [
                  { key: 'metadata.name', operator: 'In', values: ['c'] },
                ],
              },
            ],
          },
        },
      },
    }),
    nodes: [node('a'), node('b'), node('c', { cpu: '2' })],
    expect: {
      message: `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.`,
    },
  },
  {
    name: 'conflicting matchFields terms: pod affinity terms conflict (PreFilter)',
    pod: pod('p', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchFields: [
                  { key: 'metadata.name', operator: 'In', values: ['a'] },
                  { key: 'metadata.name', operator: 'In', values: ['b'] },
                ],
              },
            ],
          },
        },
      },
    }),
    nodes: [node('a'), node('b')],
    expect: {
      message: `0/2 nodes are available: pod affinity terms conflict. ${notHelpful(
        2,
      )}`,
    },
  },
  {
    name: 'preferred node affinity: the heavier preference wins',
    pod: pod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 10,
              preference: {
                matchExpressions: [
                  { key: 'zone', operator: 'In', values: ['z1'] },
                ],
              },
            },
            {
              weight: 80,
              preference: {
                matchExpressions: [
                  { key: 'zone', operator: 'In', values: ['z2'] },
                ],
              },
            },
          ],
        },
      },
    }),
    nodes: [
      node('a', { labels: { zone: 'z1' } }),
      node('b', { labels: { zone: 'z2' } }),
      node('c'),
    ],
    expect: { node: 'b' },
  },
  {
    name: 'preferred weights add up across terms',
    pod: pod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 30,
              preference: {
                matchExpressions: [{ key: 'ssd', operator: 'Exists' }],
              },
            },
            {
              weight: 30,
              preference: {
                matchExpressions: [
                  { key: 'zone', operator: 'In', values: ['z1'] },
                ],
              },
            },
            {
              weight: 50,
              preference: {
                matchExpressions: [
                  { key: 'zone', operator: 'In', values: ['z2'] },
                ],
              },
            },
          ],
        },
      },
    }),
    nodes: [
      node('a', { labels: { zone: 'z1', ssd: 'y' } }),
      node('b', { labels: { zone: 'z2' } }),
    ],
    expect: { node: 'a' },
  },

  // ---------------------------------------------------- resources
  {
    name: 'Insufficient cpu everywhere; equal-priority pods are no preemption victims',
    pod: pod('big', requests('6')),
    nodes: [node('a'), node('b')],
    expect: {
      message: `0/2 nodes are available: 2 Insufficient cpu. ${noVictims(2)}`,
    },
  },
  {
    name: 'Insufficient cpu and memory both reported for one node',
    pod: pod('big', requests('6', '16Gi')),
    nodes: [node('a')],
    expect: {
      message: `0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. ${noVictims(
        1,
      )}`,
    },
  },
  {
    name: 'requests of pods already on the node count against allocatable',
    pod: pod('p', requests('1500m')),
    nodes: [node('a', { cpu: '2' }), node('b', { cpu: '2' })],
    existing: [
      placed('a', pod('x', requests('1'))),
      placed('b', pod('y', requests('600m'))),
    ],
    expect: {
      message: `0/2 nodes are available: 2 Insufficient cpu. ${noVictims(2)}`,
    },
  },
  {
    name: 'exact fit is a fit (500m + 0.5 = 1 cpu)',
    pod: pod('p', requests('0.5')),
    nodes: [node('a', { cpu: '1' })],
    existing: [placed('a', pod('x', requests('500m')))],
    expect: { node: 'a' },
  },
  {
    name: 'memory units: 1Gi = 1024Mi fits, 1G + 1Gi does not fit 2Gi',
    pod: pod('p', requests(undefined, '1Gi')),
    nodes: [node('a', { memory: '2Gi' }), node('b', { memory: '2Gi' })],
    existing: [
      placed('a', pod('x', requests(undefined, '1024Mi'))),
      placed('b', pod('y', requests(undefined, '1100M'))),
    ],
    expect: { node: 'a' },
  },
  {
    name: 'limits without requests count as requests (API defaulting)',
    pod: pod('p', {
      containers: [
        { name: 'c', image: 'i', resources: { limits: { cpu: '3' } } },
      ],
    }),
    nodes: [node('a', { cpu: '2' })],
    expect: {
      message: `0/1 nodes are available: 1 Insufficient cpu. ${noVictims(1)}`,
    },
  },
  {
    name: 'init containers: the largest init container counts, not the sum',
    pod: pod('p', {
      initContainers: [
        { name: 'i1', image: 'i', resources: { requests: { cpu: '1500m' } } },
        { name: 'i2', image: 'i', resources: { requests: { cpu: '1500m' } } },
      ],
      containers: [
        { name: 'c', image: 'i', resources: { requests: { cpu: '500m' } } },
      ],
    }),
    nodes: [node('a', { cpu: '2' })],
    expect: { node: 'a' },
  },
  {
    name: 'terminated pods free their resources',
    pod: pod('p', requests('2')),
    nodes: [node('a', { cpu: '2' })],
    existing: [
      {
        ...placed('a', pod('done', requests('2'))),
        status: { phase: 'Succeeded' },
      },
    ],
    expect: { node: 'a' },
  },
  {
    name: 'max pods: Too many pods',
    pod: pod('p'),
    nodes: [node('a', { pods: '2' })],
    existing: [placed('a', pod('x')), placed('a', pod('y'))],
    expect: {
      message: `0/1 nodes are available: 1 Too many pods. ${noVictims(1)}`,
    },
  },
  {
    name: 'extended resources: Insufficient nvidia.com/gpu',
    pod: pod('p', {
      containers: [
        {
          name: 'c',
          image: 'i',
          resources: { limits: { 'nvidia.com/gpu': '1' } },
        },
      ],
    }),
    nodes: [node('a'), node('b', { extra: { 'nvidia.com/gpu': '1' } })],
    expect: { node: 'b' },
  },
  {
    name: 'least allocated: the emptier node wins',
    pod: pod('p', requests('500m', '512Mi')),
    nodes: [node('a'), node('b')],
    existing: [placed('a', pod('x', requests('3', '6Gi')))],
    expect: { node: 'b' },
  },
  {
    name: 'identical nodes: deterministic tie-break by name',
    pod: pod('p'),
    nodes: [node('node-c'), node('node-a'), node('node-b')],
    expect: { node: 'node-a' },
  },
  {
    name: 'reason histogram is sorted as strings ("10 ..." before "2 ...")',
    pod: pod('p', requests('6')),
    nodes: [
      ...Array.from({ length: 10 }, (_, i) => node(`small-${i}`)),
      node('t-1', { taints: [HP_TAINT], cpu: '16' }),
      node('t-2', { taints: [HP_TAINT], cpu: '16' }),
    ],
    expect: {
      message:
        '0/12 nodes are available: 10 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: high-performance}. ' +
        'preemption: 0/12 nodes are available: 10 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
    },
  },

  // ---------------------------------------------------- preemption wording
  {
    name: 'preemptionPolicy Never',
    pod: pod('p', { ...requests('6'), preemptionPolicy: 'Never' }),
    nodes: [node('a')],
    expect: {
      message:
        '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    },
  },
  {
    name: 'a higher-priority pod that could preempt: no preemption part (kube nominates instead)',
    pod: pod('p', { ...requests('3'), priority: 1000 }),
    nodes: [node('a')],
    existing: [placed('a', pod('low', { ...requests('2'), priority: 0 }))],
    expect: { message: '0/1 nodes are available: 1 Insufficient cpu.' },
  },
  {
    name: 'higher priority but even evicting everything would not fit',
    pod: pod('p', { ...requests('8'), priority: 1000 }),
    nodes: [node('a')],
    existing: [placed('a', pod('low', { ...requests('2'), priority: 0 }))],
    expect: {
      message:
        '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.',
    },
  },

  // ---------------------------------------------------- host ports
  {
    name: 'host port already taken',
    pod: pod('p', {
      containers: [
        {
          name: 'c',
          image: 'i',
          ports: [{ containerPort: 80, hostPort: 8080 }],
        },
      ],
    }),
    nodes: [node('a')],
    existing: [
      placed(
        'a',
        pod('x', {
          containers: [
            {
              name: 'c',
              image: 'i',
              ports: [{ containerPort: 80, hostPort: 8080 }],
            },
          ],
        }),
      ),
    ],
    expect: {
      message: `0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. ${noVictims(
        1,
      )}`,
    },
  },

  // ---------------------------------------------------- pod anti-affinity
  {
    name: 'required anti-affinity on hostname spreads replicas',
    pod: pod(
      'web-2',
      { affinity: antiAffinityWeb },
      { labels: { app: 'web' } },
    ),
    nodes: [node('a'), node('b'), node('c')],
    existing: [
      placed('a', pod('web-0', {}, { labels: { app: 'web' } })),
      placed('b', pod('web-1', {}, { labels: { app: 'web' } })),
    ],
    expect: { node: 'c' },
  },
  {
    name: 'required anti-affinity with every node taken',
    pod: pod(
      'web-3',
      { affinity: antiAffinityWeb },
      { labels: { app: 'web' } },
    ),
    nodes: [node('a'), node('b'), node('c')],
    existing: ['a', 'b', 'c'].map((n, i) =>
      placed(n, pod(`web-${i}`, {}, { labels: { app: 'web' } })),
    ),
    expect: {
      message: `0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. ${noVictims(
        3,
      )}`,
    },
  },
  {
    name: 'anti-affinity only looks at the pod namespace by default',
    pod: pod(
      'web-1',
      { affinity: antiAffinityWeb },
      { labels: { app: 'web' } },
    ),
    nodes: [node('a')],
    existing: [
      placed(
        'a',
        pod('web-0', {}, { labels: { app: 'web' }, namespace: 'other' }),
      ),
    ],
    expect: { node: 'a' },
  },
  {
    name: 'anti-affinity with namespaceSelector {} looks at every namespace',
    pod: pod(
      'web-1',
      {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                labelSelector: { matchLabels: { app: 'web' } },
                topologyKey: 'kubernetes.io/hostname',
                namespaceSelector: {},
              },
            ],
          },
        },
      },
      { labels: { app: 'web' } },
    ),
    nodes: [node('a')],
    existing: [
      placed(
        'a',
        pod('web-0', {}, { labels: { app: 'web' }, namespace: 'other' }),
      ),
    ],
    expect: {
      message: `0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules. ${noVictims(
        1,
      )}`,
    },
  },
  {
    name: 'anti-affinity on a zone label keeps the whole zone free',
    pod: pod(
      'db-1',
      {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                labelSelector: { matchLabels: { app: 'db' } },
                topologyKey: 'topology.kubernetes.io/zone',
              },
            ],
          },
        },
      },
      { labels: { app: 'db' } },
    ),
    nodes: [
      node('a', { labels: { 'topology.kubernetes.io/zone': 'z1' } }),
      node('b', { labels: { 'topology.kubernetes.io/zone': 'z1' } }),
      node('c', { labels: { 'topology.kubernetes.io/zone': 'z2' } }),
    ],
    existing: [placed('a', pod('db-0', {}, { labels: { app: 'db' } }))],
    expect: { node: 'c' },
  },
  {
    name: "existing pods' anti-affinity repels the incoming pod",
    pod: pod('intruder', {}, { labels: { team: 'noisy' } }),
    nodes: [node('a'), node('b')],
    existing: [
      placed(
        'a',
        pod('quiet', {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                {
                  labelSelector: { matchLabels: { team: 'noisy' } },
                  topologyKey: 'kubernetes.io/hostname',
                },
              ],
            },
          },
        }),
      ),
      placed(
        'b',
        pod('quiet-2', {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                {
                  labelSelector: { matchLabels: { team: 'noisy' } },
                  topologyKey: 'kubernetes.io/hostname',
                },
              ],
            },
          },
        }),
      ),
    ],
    expect: {
      message: `0/2 nodes are available: 2 node(s) didn't satisfy existing pods anti-affinity rules. ${noVictims(
        2,
      )}`,
    },
  },
  {
    name: 'preferred anti-affinity: avoids the node with a matching pod',
    pod: pod(
      'web-1',
      {
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  labelSelector: { matchLabels: { app: 'web' } },
                  topologyKey: 'kubernetes.io/hostname',
                },
              },
            ],
          },
        },
      },
      { labels: { app: 'web' } },
    ),
    nodes: [node('a'), node('b')],
    existing: [placed('a', pod('web-0', {}, { labels: { app: 'web' } }))],
    expect: { node: 'b' },
  },
  {
    name: 'preferred anti-affinity is only a preference: still schedules when unavoidable',
    pod: pod(
      'web-1',
      {
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  labelSelector: { matchLabels: { app: 'web' } },
                  topologyKey: 'kubernetes.io/hostname',
                },
              },
            ],
          },
        },
      },
      { labels: { app: 'web' } },
    ),
    nodes: [node('a')],
    existing: [placed('a', pod('web-0', {}, { labels: { app: 'web' } }))],
    expect: { node: 'a' },
  },

  // ---------------------------------------------------- pod affinity
  {
    name: 'required pod affinity: joins the node of the matching pod',
    pod: pod('cache', {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            {
              labelSelector: { matchLabels: { app: 'api' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          ],
        },
      },
    }),
    nodes: [node('a'), node('b'), node('c')],
    existing: [placed('b', pod('api-0', {}, { labels: { app: 'api' } }))],
    expect: { node: 'b' },
  },
  {
    name: 'required pod affinity with no matching pod anywhere',
    pod: pod('cache', {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            {
              labelSelector: { matchLabels: { app: 'api' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          ],
        },
      },
    }),
    nodes: [node('a'), node('b')],
    expect: {
      message: `0/2 nodes are available: 2 node(s) didn't match pod affinity rules. ${notHelpful(
        2,
      )}`,
    },
  },
  {
    name: 'required pod affinity to itself: the first pod of the series may go anywhere',
    pod: pod(
      'api-0',
      {
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                labelSelector: { matchLabels: { app: 'api' } },
                topologyKey: 'kubernetes.io/hostname',
              },
            ],
          },
        },
      },
      { labels: { app: 'api' } },
    ),
    nodes: [node('a'), node('b')],
    expect: { node: 'a' },
  },
  {
    name: 'required pod affinity needs the topology label on the node',
    pod: pod('cache', {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            {
              labelSelector: { matchLabels: { app: 'api' } },
              topologyKey: 'rack',
            },
          ],
        },
      },
    }),
    nodes: [node('a', { labels: { rack: 'r1' } }), node('b')],
    existing: [placed('a', pod('api-0', {}, { labels: { app: 'api' } }))],
    expect: { node: 'a' },
  },

  // ---------------------------------------------------- topology spread
  {
    name: 'topology spread DoNotSchedule: skew beyond maxSkew filters the node',
    pod: pod(
      'w-2',
      {
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'zone',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { app: 'w' } },
          },
        ],
      },
      { labels: { app: 'w' } },
    ),
    nodes: [
      node('a', { labels: { zone: 'z1' } }),
      node('b', { labels: { zone: 'z2' } }),
    ],
    existing: [placed('a', pod('w-0', {}, { labels: { app: 'w' } }))],
    expect: { node: 'b' },
  },
  {
    name: 'topology spread: missing topology label',
    pod: pod(
      'w-0',
      {
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'zone',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { app: 'w' } },
          },
        ],
      },
      { labels: { app: 'w' } },
    ),
    nodes: [node('a')],
    expect: {
      message: `0/1 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label). ${notHelpful(
        1,
      )}`,
    },
  },
  {
    name: 'replicas of one ReplicaSet spread across nodes by default',
    pod: pod(
      'rs-2',
      {},
      {
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: 'rs',
            uid: 'rs-uid',
            controller: true,
          },
        ],
      },
    ),
    nodes: [node('a'), node('b')],
    existing: [
      placed(
        'a',
        pod(
          'rs-0',
          {},
          {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: 'rs',
                uid: 'rs-uid',
                controller: true,
              },
            ],
          },
        ),
      ),
    ],
    expect: { node: 'b' },
  },
];

function expectation(e: Case['expect']): unknown {
  if ('message' in e) return { unschedulable: true, message: e.message };
  if ('oneOf' in e)
    return {
      node: expect.stringMatching(new RegExp(`^(${e.oneOf.join('|')})$`)),
    };
  return { node: e.node };
}

describe('schedulePod', () => {
  it.each(cases.map(c => [c.name, c] as const))('%s', (_name, c) => {
    const result: ScheduleResult = schedulePod({
      pod: c.pod,
      nodes: c.nodes,
      podsByNode: byNode(...(c.existing ?? [])),
    });
    expect(result).toEqual(expectation(c.expect));
  });

  it('is deterministic: the same input always gives the same node', () => {
    const nodes = fincloudNodes();
    const results = new Set(
      Array.from({ length: 20 }, () => {
        const r = schedulePod({ pod: pod('p'), nodes, podsByNode: new Map() });
        return 'node' in r ? r.node : r.message;
      }),
    );
    expect(results.size).toBe(1);
  });

  it('fills the high-performance pool and then reports Insufficient cpu there', () => {
    const nodes = fincloudNodes();
    const placedPods: V1Pod[] = [];
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const p = pod(`risk-engine-${i}`, {
        ...requests('7'),
        nodeSelector: HP_LABELS,
        tolerations: [HP_TOLERATION],
      });
      const r = schedulePod({
        pod: p,
        nodes,
        podsByNode: byNode(...placedPods),
      });
      if ('node' in r) {
        placedPods.push(placed(r.node, p));
        outcomes.push(r.node);
      } else {
        outcomes.push(r.message);
      }
    }
    // 16 cpu per node, 7 each: two fit per node, spread by least-allocated.
    expect(outcomes.slice(0, 4).sort()).toEqual([
      'hp-1',
      'hp-1',
      'hp-2',
      'hp-2',
    ]);
    expect(outcomes[4]).toBe(
      `0/5 nodes are available: 2 Insufficient cpu, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.`,
    );
  });

  it('ignores the pod itself when it is listed on a node', () => {
    const p = pod('p', requests('2'));
    const result = schedulePod({
      pod: p,
      nodes: [node('a', { cpu: '2' })],
      podsByNode: byNode(placed('a', p)),
    });
    expect(result).toEqual({ node: 'a' });
  });
});

describe('quantities', () => {
  it.each([
    ['100m', 100],
    ['0.1', 100],
    ['1', 1000],
    ['1.5', 1500],
    ['2500m', 2500],
    ['2e-1', 200],
    ['0.0001', 1],
  ])('cpu %s is %d millicores', (q, m) => {
    expect(milliValue(q)).toBe(m);
  });

  it.each([
    ['1Ki', 1024],
    ['1Mi', 1024 ** 2],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['1k', 1000],
    ['1M', 1e6],
    ['2G', 2e9],
    ['128974848', 128974848],
    ['129e6', 129e6],
    ['123Mi', 123 * 1024 ** 2],
  ])('memory %s is %d bytes', (q, b) => {
    expect(value(q)).toBe(b);
  });

  it('treats garbage as zero', () => {
    expect(value('lots')).toBe(0);
    expect(milliValue('1 Gi')).toBe(0);
  });
});
