import { CanaryRouting } from '@fincloud/plugin-releases-common';

/** The two DestinationRule subsets a release routes between. */
export type SubsetName = 'stable' | 'canary';

/** An Istio HTTP route destination as fincloud writes it. */
export interface RouteDestination {
  destination: { host: string; subset: SubsetName };
  weight: number;
}

/** An Istio VirtualService `spec.http[]` entry as fincloud writes it. */
export interface HttpRoute {
  name: string;
  match?: Array<{
    headers: Record<string, { exact?: string; regex?: string }>;
  }>;
  route: RouteDestination[];
  mirror?: { host: string; subset: SubsetName };
  mirrorPercentage?: { value: number };
}

/** What the routes of one service should say. */
export interface RoutingSpec {
  /** The Service (VirtualService host). */
  host: string;
  /** Subsets the DestinationRule defines. */
  subsets: SubsetName[];
  /** % to the canary subset (0..100, integer). */
  canaryWeight: number;
  routing?: CanaryRouting;
}

/** A routing invariant did not hold: a programming error, never sent to a cluster. */
export class RoutingInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoutingInvariantError';
  }
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The one place weights become routes. Every route fincloud sends to a
 * cluster comes from here and passes {@link assertValidRoutes}: the weights of
 * each route are integers adding up to 100 and every subset named (by a
 * route or a mirror) is one the DestinationRule defines.
 */
export function buildHttpRoutes(spec: RoutingSpec): HttpRoute[] {
  const { host, subsets } = spec;
  if (!Number.isInteger(spec.canaryWeight)) {
    throw new RoutingInvariantError(
      `canary weight must be an integer, got ${spec.canaryWeight}`,
    );
  }
  if (spec.canaryWeight < 0 || spec.canaryWeight > 100) {
    throw new RoutingInvariantError(
      `canary weight must be within 0..100, got ${spec.canaryWeight}`,
    );
  }
  const hasCanary = subsets.includes('canary');
  if (!hasCanary && spec.canaryWeight > 0) {
    throw new RoutingInvariantError(
      `canary weight ${spec.canaryWeight} without a canary subset`,
    );
  }
  const routes: HttpRoute[] = [];
  const matchRoute = (
    name: string,
    headers: HttpRoute['match'],
  ): HttpRoute => ({
    name,
    match: headers,
    route: [{ destination: { host, subset: 'canary' }, weight: 100 }],
  });
  if (hasCanary && spec.routing?.header) {
    routes.push(
      matchRoute('canary-header', [
        {
          headers: {
            [spec.routing.header.name.toLowerCase()]: {
              exact: spec.routing.header.value,
            },
          },
        },
      ]),
    );
  }
  if (hasCanary && spec.routing?.cookie) {
    const { name, value } = spec.routing.cookie;
    routes.push(
      matchRoute('canary-cookie', [
        {
          headers: {
            cookie: {
              regex: `^(.*?;\\s*)?${escapeRegex(name)}=${escapeRegex(
                value,
              )}(;.*)?$`,
            },
          },
        },
      ]),
    );
  }
  const primary: HttpRoute = {
    name: 'primary',
    route: hasCanary
      ? [
          {
            destination: { host, subset: 'stable' },
            weight: 100 - spec.canaryWeight,
          },
          {
            destination: { host, subset: 'canary' },
            weight: spec.canaryWeight,
          },
        ]
      : [{ destination: { host, subset: 'stable' }, weight: 100 }],
  };
  const mirror = spec.routing?.mirrorPercent;
  if (
    hasCanary &&
    mirror !== undefined &&
    mirror > 0 &&
    spec.canaryWeight < 100
  ) {
    primary.mirror = { host, subset: 'canary' };
    primary.mirrorPercentage = { value: mirror };
  }
  routes.push(primary);
  assertValidRoutes(routes, subsets);
  return routes;
}

/**
 * Throws unless each route's weights are integers in 0..100 adding up to 100
 * and every subset a route or a mirror names is in `subsets`.
 */
export function assertValidRoutes(
  routes: HttpRoute[],
  subsets: readonly string[],
): void {
  if (routes.length === 0) {
    throw new RoutingInvariantError(
      'a VirtualService needs at least one route',
    );
  }
  routes.forEach((r, i) => {
    if (r.route.length === 0) {
      throw new RoutingInvariantError(`route ${i} has no destination`);
    }
    let total = 0;
    for (const d of r.route) {
      if (!Number.isInteger(d.weight) || d.weight < 0 || d.weight > 100) {
        throw new RoutingInvariantError(
          `route ${i} has weight ${d.weight}; weights are integers in 0..100`,
        );
      }
      if (!subsets.includes(d.destination.subset)) {
        throw new RoutingInvariantError(
          `route ${i} names subset "${
            d.destination.subset
          }", which the DestinationRule does not define (${subsets.join(
            ', ',
          )})`,
        );
      }
      total += d.weight;
    }
    if (total !== 100) {
      throw new RoutingInvariantError(
        `the weights of route ${i} add up to ${total}, not 100`,
      );
    }
    if (r.mirror && !subsets.includes(r.mirror.subset)) {
      throw new RoutingInvariantError(
        `route ${i} mirrors to subset "${r.mirror.subset}", which is not defined`,
      );
    }
  });
}

/**
 * The stable / canary split of the primary route (the last one, without a
 * match), as the UI's traffic bar shows it. Routes fincloud did not write
 * (drift) are read the same way, as far as they can be.
 */
export function weightsOfRoutes(routes: unknown): {
  stable: number;
  canary: number;
} {
  const list = Array.isArray(routes) ? (routes as any[]) : [];
  const primary =
    list.find(r => r?.name === 'primary') ??
    [...list].reverse().find(r => !r?.match) ??
    list[list.length - 1];
  let stable = 0;
  let canary = 0;
  const destinations: any[] = (primary?.route as any[]) ?? [];
  for (const d of destinations) {
    // Istio: a single destination without a weight takes everything.
    let weight = destinations.length === 1 ? 100 : 0;
    if (typeof d?.weight === 'number') weight = d.weight;
    if (d?.destination?.subset === 'canary') canary += weight;
    else stable += weight;
  }
  if (stable + canary === 0) return { stable: 100, canary: 0 };
  return { stable, canary };
}

/** Canary replicas for a weight: enough pods to carry the share, at least one. */
export function canaryReplicas(stableReplicas: number, weight: number): number {
  if (weight >= 100) return Math.max(1, stableReplicas);
  return Math.max(1, Math.ceil((stableReplicas * weight) / 100));
}
