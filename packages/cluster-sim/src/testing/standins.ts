/**
 * Temporary stand-ins for behaviour modules that are not finished yet
 * (src/exec, src/traffic). Deleted once the real modules are in.
 */
import {
  CommandNotFoundError,
  ContainerContext,
  EmulatedContainer,
  ExecIO,
  RoutedResponse,
  TrafficSimulator,
  TrafficWorld,
} from '../contracts';

export function standInEmulatedContainer(context: ContainerContext): EmulatedContainer {
  return {
    async exec(argv: string[], io: ExecIO): Promise<number> {
      const [cmd, ...args] = argv;
      switch (cmd) {
        case 'echo':
          io.stdout(`${args.join(' ')}\n`);
          return 0;
        case 'hostname':
          io.stdout(`${context.podName}\n`);
          return 0;
        case 'cat': {
          if (!io.stdin) return 0;
          for await (const chunk of io.stdin) io.stdout(chunk);
          return 0;
        }
        case 'sh': {
          const script = args[1] ?? '';
          const m = /^exit (\d+)$/.exec(script.trim());
          if (m) return Number(m[1]);
          io.stderr(`sh: ${script}: not found\n`);
          return 127;
        }
        default:
          throw new CommandNotFoundError(cmd);
      }
    },
  };
}

export function standInTraffic(): TrafficSimulator {
  const rates = new Map<string, number>();
  const counts = new Map<string, number>();
  const route = (world: TrafficWorld, host: string): RoutedResponse | undefined => {
    const [name, namespace] = host.split('.');
    const svc = world.services.find(s => s.metadata?.name === name && s.metadata?.namespace === namespace);
    if (!svc) return undefined;
    const dep = world.deployments.find(
      d => d.metadata?.namespace === namespace && d.spec?.template?.metadata?.labels?.app === svc.spec?.selector?.app,
    );
    return {
      status: dep ? 200 : 503,
      latencyMs: 5,
      workload: dep?.metadata?.name,
      version: dep?.spec?.template?.metadata?.labels?.version,
      body: dep ? 'ok' : 'no healthy upstream',
    };
  };
  return {
    tick(world, dtMs) {
      for (const svc of world.services) {
        const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
        const rps = rates.get(key) ?? 0;
        counts.set(key, (counts.get(key) ?? 0) + (rps * dtMs) / 1000);
      }
    },
    request(world, request) {
      return route(world, request.host);
    },
    setRate(namespace, service, rps) {
      rates.set(`${namespace}/${service}`, rps);
    },
    renderMetrics() {
      const lines = ['# TYPE istio_requests_total counter'];
      for (const [key, n] of counts) {
        const [ns, svc] = key.split('/');
        lines.push(`istio_requests_total{destination_service_namespace="${ns}",destination_service_name="${svc}"} ${Math.round(n)}`);
      }
      return `${lines.join('\n')}\n`;
    },
  };
}
