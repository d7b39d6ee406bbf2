import { ApiException } from '@kubernetes/client-node';

/** The Kubernetes Status a failed client call received (the test fails when the call succeeds). */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ code: number; status: any }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) {
      let status: any = error.body;
      if (typeof status === 'string') {
        try {
          status = JSON.parse(status);
        } catch {
          // not JSON: keep the text
        }
      }
      return { code: error.code, status };
    }
    throw error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

export function deployment(
  name: string,
  options: {
    replicas?: number;
    image?: string;
    labels?: Record<string, string>;
    strategy?: any;
    annotations?: Record<string, string>;
    namespace?: string;
  } = {},
) {
  const labels = options.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      replicas: options.replicas ?? 1,
      selector: { matchLabels: labels },
      ...(options.strategy ? { strategy: options.strategy } : {}),
      template: {
        metadata: {
          labels: { ...labels, version: 'v1' } as Record<string, string>,
        },
        spec: {
          containers: [
            {
              name: 'app',
              image:
                options.image ?? 'registry.fincloud.example/demo/app:1.0.0',
            },
          ],
        },
      },
    },
  };
}

/** Collects events from a client-node Watch until `until` returns true. */
export function until<T>(
  predicate: () => T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      const value = predicate();
      if (value) {
        resolve(value);
        return;
      }
      if (Date.now() > deadline) {
        reject(new Error('condition not met in time'));
        return;
      }
      setTimeout(tick, 10);
    };
    tick();
  });
}
