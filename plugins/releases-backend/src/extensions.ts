import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { MetricsProvider } from './metrics/MetricsProvider';

/**
 * Lets a backend module supply the metric gates' numbers, e.g. the
 * monitoring plugin with its per-environment Prometheus. Without one, the
 * releases plugin queries `fincloud.releases.analysis.prometheusUrl`.
 *
 * @public
 */
export interface ReleasesMetricsExtensionPoint {
  setMetricsProvider(provider: MetricsProvider): void;
}

/** @public */
export const releasesMetricsExtensionPoint =
  createExtensionPoint<ReleasesMetricsExtensionPoint>({
    id: 'releases.metrics-provider',
  });
