import { join } from 'node:path';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';

/** One exec the simulator's API server received and ran. */
export interface ReceivedExec {
  namespace: string;
  pod: string;
  container: string;
  argv: string[];
  tty: boolean;
}

export interface RecordingSim extends ClusterSim {
  /** Every exec that reached the simulator's exec endpoint, in order. */
  execs: ReceivedExec[];
  /** The pod of a workload (first, by name). */
  podOf(namespace: string, app: string): string;
}

export const TEST_SEED = join(__dirname, '..', '__fixtures__', 'sim-seed.yaml');

/**
 * A cluster simulator whose exec module records every argv it is asked to
 * run (what crossed the exec endpoint, as the API server parsed it from the
 * request), so tests can assert what the terminal sent, not what it says
 * it sent. Pods are started (the manual clock advanced) before it resolves.
 */
export async function startRecordingSim(
  options: { seed?: string } = {},
): Promise<RecordingSim> {
  const execs: ReceivedExec[] = [];
  const sim = await startClusterSim({
    manualClock: true,
    seed: options.seed ?? TEST_SEED,
    trafficIntervalMs: 0,
  });
  // Wrap the simulator's own exec emulator (the behaviours object its
  // kubelet reads) to record what arrives.
  const behaviours = sim.simulator.behaviours;
  const original = behaviours.createEmulatedContainer;
  behaviours.createEmulatedContainer = context => {
    const container = original(context);
    return {
      exec(argv, io) {
        execs.push({
          namespace: context.namespace,
          pod: context.podName,
          container: context.containerName,
          argv: [...argv],
          tty: io.tty,
        });
        return container.exec(argv, io);
      },
    };
  };
  sim.clock.advance(120_000);
  sim.settle();
  return Object.assign(sim, {
    execs,
    podOf(namespace: string, app: string) {
      const pods = sim.store
        .list('v1', 'Pod', namespace)
        .filter(p => p.metadata?.labels?.app === app)
        .map(p => p.metadata.name as string)
        .sort();
      if (!pods[0]) throw new Error(`no pod of ${app} in ${namespace}`);
      return pods[0];
    },
  });
}
