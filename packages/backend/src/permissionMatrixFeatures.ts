/*
 * The backend the permission matrix runs against: the catalog and the
 * permission plugin with the fincloud policy (what decides), plus every
 * fincloud backend feature packages/backend/src/index.ts registers. A test
 * fails when index.ts registers a fincloud package this list lacks.
 */
import authPlugin from '@backstage/plugin-auth-backend';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import auditPlugin from '@fincloud/plugin-audit-backend';
import { fincloudAuditorServiceFactory } from '@fincloud/plugin-audit-node';
import devSignIn from '@fincloud/plugin-auth-backend-module-dev-sign-in';
import fincloudPolicy from '@fincloud/plugin-permission-backend-module-fincloud-policy';
import buildsPlugin from '@fincloud/plugin-builds-backend';
import releasesPlugin from '@fincloud/plugin-releases-backend';
import monitoringPlugin from '@fincloud/plugin-monitoring-backend';
import terminalPlugin from '@fincloud/plugin-terminal-backend';

export const MATRIX_FEATURES = [
  authPlugin,
  devSignIn,
  catalogPlugin,
  permissionPlugin,
  fincloudPolicy,
  // The audit trail: every plugin's coreServices.auditor events are stored,
  // and its API is in the matrix.
  fincloudAuditorServiceFactory,
  auditPlugin,
  // Builds: Jobs go to a cluster that does not answer, so builds stay queued.
  buildsPlugin,
  // Releases: every permission is decided before the cluster is touched;
  // with no cluster answering, what needs it answers 503.
  releasesPlugin,
  // Monitoring: permissions are decided before Prometheus, Alertmanager or
  // the cluster are asked; none of them answers here, so allowed callers get
  // 503 (the dashboard still answers, each panel with its error).
  monitoringPlugin,
  // Terminal: permissions are decided before the cluster is asked; the
  // cluster does not answer here, so allowed callers get 503 where it is
  // needed (pods) and the WebSocket closes with 1011 (see TERMINAL_WS_MATRIX).
  terminalPlugin,
];

/** Configuration those features need in the test (merged into the test config). */
export function matrixFeatureConfig(tmpDir: string) {
  return {
    fincloud: {
      audit: {
        checkpoints: {
          hmacKey: 'permission-matrix-hmac-key-0123456789abcdef',
        },
        spool: { directory: `${tmpDir}/audit-spool` },
        archiveDirectory: `${tmpDir}/audit-archive`,
      },
      // A cluster nobody listens on (connections refused): enough for the
      // builds endpoints, whose controller keeps the Jobs queued.
      clusters: [
        {
          name: 'sim',
          url: 'http://127.0.0.1:9',
          serviceAccountToken: 'permission-matrix-no-cluster',
          skipTLSVerify: true,
        },
      ],
      builds: {
        sourceRepoTemplate: 'https://git.fincloud.example/{owner}/{name}.git',
        controller: { frequency: { seconds: 30 } },
      },
      releases: { controller: { intervalSeconds: 3600 } },
      monitoring: {
        prometheus: [
          { name: 'sim', url: 'http://127.0.0.1:9', timeoutSeconds: 2 },
        ],
        alertmanager: [
          { name: 'sim', url: 'http://127.0.0.1:9', timeoutSeconds: 2 },
        ],
      },
    },
  };
}
