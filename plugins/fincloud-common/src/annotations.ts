import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';

/**
 * Every catalog annotation the fincloud suite reads, in one place.
 * README.md of this package explains each one with an example.
 *
 * @public
 */
export const FINCLOUD_ANNOTATIONS = {
  /** Group: the team's leads, comma-separated user names or refs. */
  teamLeads: 'fincloud.io/team-leads',
  /** Component: the cluster(s) the service runs in, comma-separated names from `fincloud.clusters`. */
  cluster: 'fincloud.io/cluster',
  /** Component: the Kubernetes namespace of the service. */
  namespace: 'fincloud.io/namespace',
  /** Component: the Deployment name (and `app` label value) of the service. */
  workload: 'fincloud.io/workload',
  /** Component: source language for generated Dockerfiles (java, go, python, node, static). */
  language: 'fincloud.io/language',
  /** Component: default build type (generic, compile-then-build, in-repo-dockerfile, custom-dockerfile). */
  buildType: 'fincloud.io/build-type',
  /** Component: the git repository the build clones. */
  sourceRepo: 'fincloud.io/source-repo',
  /** Component: default release strategy (rolling, canary, blue-green). */
  releaseStrategy: 'fincloud.io/release-strategy',
  /** Component: number of team-lead approvals a release needs ("N" or "N-of-M"). */
  releaseApprovals: 'fincloud.io/release-approvals',
  /** Component: the platform scheduling profile applied to its Deployments. */
  schedulingProfile: 'fincloud.io/scheduling-profile',
  /** Component: the terminal allow-list policy name (from `fincloud.terminal.policies`). */
  terminalPolicy: 'fincloud.io/terminal-policy',
  /** Component: the Prometheus (environment) name from `fincloud.monitoring.prometheus`. */
  prometheus: 'fincloud.io/prometheus',
  /** Component: extra label matchers that select the service's alerts, e.g. `team=payments`. */
  alertSelector: 'fincloud.io/alert-selector',
  /** Component: monitoring panels to add from the platform's library (`+id`), hide (`-id`) or re-threshold (`id.warning=1`). */
  monitoringPanels: 'fincloud.io/monitoring-panels',
} as const;

/** @public */
export type FincloudAnnotation =
  (typeof FINCLOUD_ANNOTATIONS)[keyof typeof FINCLOUD_ANNOTATIONS];

/**
 * Where a service runs, read from its annotations.
 *
 * @public
 */
export interface WorkloadTarget {
  clusters: string[];
  namespace: string;
  workload: string;
}

function annotation(entity: Entity, name: FincloudAnnotation) {
  const value = entity.metadata.annotations?.[name]?.trim();
  return value ? value : undefined;
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map(part => part.trim())
    .filter(Boolean);
}

/**
 * Reads `fincloud.io/cluster`, `fincloud.io/namespace` and `fincloud.io/workload`.
 * The workload defaults to the entity's name; undefined when the service has no
 * cluster or namespace annotation (the UI then shows how to add them).
 *
 * @public
 */
export function getWorkloadTarget(entity: Entity): WorkloadTarget | undefined {
  const clusters = splitList(annotation(entity, FINCLOUD_ANNOTATIONS.cluster));
  const namespace = annotation(entity, FINCLOUD_ANNOTATIONS.namespace);
  if (clusters.length === 0 || !namespace) {
    return undefined;
  }
  return {
    clusters,
    namespace,
    workload:
      annotation(entity, FINCLOUD_ANNOTATIONS.workload) ?? entity.metadata.name,
  };
}

/** @public */
export function isWorkloadAvailable(entity: Entity): boolean {
  return getWorkloadTarget(entity) !== undefined;
}

/**
 * The leads named by a Group's `fincloud.io/team-leads` annotation, as full
 * user entity refs (`rita` becomes `user:default/rita`).
 *
 * @public
 */
export function getTeamLeadRefs(group: Entity): string[] {
  return splitList(annotation(group, FINCLOUD_ANNOTATIONS.teamLeads)).map(
    lead =>
      stringifyEntityRef(
        parseEntityRef(lead, {
          defaultKind: 'user',
          defaultNamespace: group.metadata.namespace ?? 'default',
        }),
      ),
  );
}

/**
 * Reads a free-form fincloud annotation, trimmed; undefined when absent or empty.
 *
 * @public
 */
export function readFincloudAnnotation(
  entity: Entity,
  name: FincloudAnnotation,
): string | undefined {
  return annotation(entity, name);
}
