import type {
  V1Deployment,
  V1Node,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';
import type { TrafficWorld } from '../contracts';
import type { Cluster } from '../store/Cluster';
import type { ControllerContext } from './context';

/** The objects the traffic model reads, fresh from storage. */
export function buildWorld(cluster: Cluster): TrafficWorld {
  const list = (key: string) => cluster.store.list(key);
  return {
    services: list('core/services') as unknown as V1Service[],
    deployments: list('apps/deployments') as unknown as V1Deployment[],
    pods: list('core/pods') as unknown as V1Pod[],
    nodes: list('core/nodes') as unknown as V1Node[],
    virtualServices: list('networking.istio.io/virtualservices'),
    destinationRules: list('networking.istio.io/destinationrules'),
    envoyFilters: list('networking.istio.io/envoyfilters'),
  };
}

/** Resolves what a client inside `namespace` asked for to a Service FQDN (short names, ClusterIPs). */
export function resolveHost(
  cluster: Cluster,
  host: string,
  namespace: string,
): string | undefined {
  const bare = host.replace(/\.$/, '');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bare)) {
    const svc = cluster.store
      .list('core/services')
      .find(s => s.spec?.clusterIP === bare);
    return svc
      ? `${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`
      : undefined;
  }
  const parts = bare.split('.');
  let name: string;
  let ns: string;
  if (parts.length === 1) {
    [name, ns] = [parts[0], namespace];
  } else if (parts.length === 2 || (parts.length >= 3 && parts[2] === 'svc')) {
    [name, ns] = [parts[0], parts[1]];
  } else {
    return undefined;
  }
  if (!cluster.store.get('core/services', ns, name)) return undefined;
  return `${name}.${ns}.svc.cluster.local`;
}

/** Runs the traffic model once per second of simulator time. */
export class TrafficLoop {
  private cancel?: () => void;
  private stopped = false;
  ticks = 0;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly intervalMs = 1000,
  ) {}

  start() {
    const tick = () => {
      if (this.stopped) return;
      this.cancel = this.ctx.clock.setTimeout(tick, this.intervalMs);
      try {
        this.ctx.behaviours.traffic.tick(
          buildWorld(this.ctx.cluster),
          this.intervalMs,
        );
        this.ticks++;
      } catch (error) {
        this.ctx.queue.errors.push(error as Error);
        this.ctx.queue.onError(error as Error, 'traffic');
      }
    };
    this.cancel = this.ctx.clock.setTimeout(tick, this.intervalMs);
  }

  stop() {
    this.stopped = true;
    this.cancel?.();
  }
}
