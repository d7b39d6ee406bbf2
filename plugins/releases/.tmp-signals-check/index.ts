/*
 * The fincloud portal backend: Backstage's own plugins an adopter keeps, plus
 * the fincloud suite. Wiring only; each feature lives in its own package.
 */
import { createBackend } from '@backstage/backend-defaults';
import { fincloudAuditorServiceFactory } from '@fincloud/plugin-audit-node';

const backend = createBackend();

// coreServices.auditor for every plugin: logs as Backstage's default does and
// persists every event to the tamper-evident audit trail (plugins/audit-node).
backend.add(fincloudAuditorServiceFactory);
// The audit trail's API: query, export with chain proof, verify, retention.
backend.add(import('@fincloud/plugin-audit-backend'));

// Builds: each build a Kubernetes Job (clone, scan, build and push), every log kept.
backend.add(import('@fincloud/plugin-builds-backend'));

// Releases: Istio canary / blue-green / rolling as a persisted state machine,
// approved by team leads, gated by Prometheus metrics; traffic policies.
backend.add(import('@fincloud/plugin-releases-backend'));

// Serves the built frontend in production and in the browser tests.
backend.add(import('@backstage/plugin-app-backend'));

// Sign-in. The development sign-in (pick any sample user) is switched on by
// auth.providers.fincloud-dev in app-config.yaml only.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@fincloud/plugin-auth-backend-module-dev-sign-in'));

// The catalog: services, teams and people; fincloud's roles come from it.
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// Permissions: the fincloud policy decides, deny by default.
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@fincloud/plugin-permission-backend-module-fincloud-policy'),
);

// Search over the catalog (Postgres engine when the database is Postgres,
// in-memory Lunr otherwise).
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

// Backstage's Kubernetes view of each service's workloads.
backend.add(import('@backstage/plugin-kubernetes-backend'));

// Monitoring: Prometheus dashboards in one round trip, Alertmanager alerts and
// silences, alert rules as PrometheusRule objects, the alert center.
backend.add(import('@fincloud/plugin-monitoring-backend'));

// Terminal: audited sessions into a service's pods (restricted allow-list,
// recorded break-glass shells), WebSocket at /api/terminal/ws.

backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

backend.start();
