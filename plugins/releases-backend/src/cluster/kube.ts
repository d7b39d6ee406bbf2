import { ServiceUnavailableError } from '@backstage/errors';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';

/** The Kubernetes API clients of one cluster. */
export interface KubeClients {
  apps: AppsV1Api;
  core: CoreV1Api;
  custom: CustomObjectsApi;
}

export function makeClients(kc: KubeConfig): KubeClients {
  return {
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}

export const ISTIO_GROUP = 'networking.istio.io';
export const ISTIO_VERSION = 'v1beta1';
/** EnvoyFilter is served in v1alpha3 only. */
export const ENVOY_FILTER_VERSION = 'v1alpha3';

/** Labels on everything fincloud releases creates. */
export const MANAGED_BY = {
  'app.kubernetes.io/managed-by': 'fincloud-releases',
};
export const RELEASE_ID_LABEL = 'fincloud.io/release-id';

export const mergePatch = () =>
  setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
export const strategicPatch = () =>
  setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

/** The HTTP status of a Kubernetes API error (undefined for anything else). */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A short, credential-free description of a Kubernetes API error. */
export function describeKubeError(error: unknown): string {
  if (error instanceof ApiException) {
    let message: string | undefined;
    try {
      const body =
        typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
      message = body?.message;
    } catch {
      message = undefined;
    }
    return `${error.code}${message ? ` ${message}` : ''}`;
  }
  const text = error instanceof Error ? error.message : String(error);
  // Never echo a bearer token a library put into a message.
  return text.replace(/Bearer\s+\S+/gi, 'Bearer [REDACTED]').slice(0, 500);
}

/**
 * Runs a call to a cluster and turns what cannot be helped into clear
 * errors: unreachable or failing (5xx) → 503 ServiceUnavailableError; the
 * backend errors of @backstage/errors (400, 404, 409 ...) pass through.
 */
export async function clusterCall<T>(
  cluster: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isBackstageError(error)) throw error;
    const status = statusOf(error);
    if (status === undefined || status >= 500 || status === 429) {
      throw new ServiceUnavailableError(
        `cluster ${cluster} cannot be reached or failed: ${describeKubeError(
          error,
        )}`,
      );
    }
    throw new Error(`cluster ${cluster} answered ${describeKubeError(error)}`);
  }
}

function isBackstageError(error: unknown) {
  const name = (error as Error)?.name;
  return [
    'InputError',
    'NotFoundError',
    'ConflictError',
    'NotAllowedError',
    'ServiceUnavailableError',
    'AuthenticationError',
  ].includes(name);
}

export async function readOrUndefined<T>(
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** Canonical JSON (sorted keys, no undefined) for comparing specs. */
export function canonical(value: unknown): string {
  const norm = (v: any): any => {
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      const out: Record<string, any> = {};
      for (const key of Object.keys(v).sort()) {
        if (v[key] !== undefined) out[key] = norm(v[key]);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(norm(value));
}
