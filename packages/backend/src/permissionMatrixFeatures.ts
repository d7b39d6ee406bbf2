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
    },
  };
}
