export interface Config {
  fincloud?: {
    monitoring?: {
      /**
       * The Prometheus servers, one per cluster or environment. A service
       * picks one with the `fincloud.io/prometheus` annotation; the first is
       * the default.
       */
      prometheus?: Array<{
        /** The name `fincloud.io/prometheus` uses; lowercase letters, digits, `-`; unique. */
        name: string;
        /** Base URL, e.g. http://prometheus.monitoring:9090 (no credentials in it). */
        url: string;
        /**
         * Sent as `Authorization: Bearer <token>`.
         * @visibility secret
         */
        token?: string;
        /**
         * The whole `Authorization` header value (e.g. `Basic ...`), instead of `token`.
         * @visibility secret
         */
        authHeader?: string;
        /** Per-team tenancy header, e.g. `X-Scope-OrgID` (Mimir, Cortex, Thanos). */
        tenantHeader?: string;
        /** Tenant ids of owners, e.g. `{ owner: group:default/team-payments, tenant: payments }`; default the owner's name. */
        tenants?: Array<{ owner: string; tenant: string }>;
        /** Scrape interval in seconds, for `$__rate_interval`. Default 15. */
        scrapeIntervalSeconds?: number;
        /** The Alertmanager (by name) this Prometheus sends to; default the one of the same name, else the first. */
        alertmanager?: string;
        /** Default 10. */
        timeoutSeconds?: number;
      }>;
      /** The Alertmanagers (API v2). */
      alertmanager?: Array<{
        name: string;
        url: string;
        /** @visibility secret */
        token?: string;
        /** @visibility secret */
        authHeader?: string;
        tenantHeader?: string;
        tenants?: Array<{ owner: string; tenant: string }>;
        timeoutSeconds?: number;
      }>;
      /**
       * The panels of every service, replacing the defaults (RED from
       * Istio, USE from cAdvisor / kube-state-metrics). PromQL templates
       * with `$namespace`, `$workload`, `$cluster` (in label matcher
       * values), `$version` (after `=~` / `!~` only) and `$__rate_interval`
       * (alone inside `[...]`).
       */
      panels?: Array<{
        /** lowercase letters, digits, `-`; also what an alert rule's `metric` names */
        id: string;
        title: string;
        unit: 'reqps' | 'percent' | 'ms' | 'cores' | 'bytes' | 'count';
        /** Default line. */
        kind?: 'line' | 'area' | 'stat';
        thresholds?: Array<{ value: number; color: 'warning' | 'error' }>;
        query: string;
        /** Result label → series label, e.g. `destination_version: version`. */
        seriesLabels?: { [resultLabel: string]: string };
        /** What an alert rule on this panel evaluates; default `max(<query>)`. */
        ruleQuery?: string;
      }>;
      /** Panels a service can add with `fincloud.io/monitoring-panels: +id`. Same shape as `panels`. */
      extraPanels?: Array<{
        id: string;
        title: string;
        unit: 'reqps' | 'percent' | 'ms' | 'cores' | 'bytes' | 'count';
        kind?: 'line' | 'area' | 'stat';
        thresholds?: Array<{ value: number; color: 'warning' | 'error' }>;
        query: string;
        seriesLabels?: { [resultLabel: string]: string };
        ruleQuery?: string;
      }>;
      /** The panel whose `version` series tell which versions have traffic. Default `request-rate`. */
      trafficPanel?: string;
      /** Points per series the automatic step aims at. Default 240. */
      targetPoints?: number;
      cache?: {
        /** Range-query results kept. Default 2000. */
        maxEntries?: number;
        /** Longest time a result is kept, in seconds (it is otherwise one step). Default 300. */
        maxTtlSeconds?: number;
      };
      /** Labels naming the workload on alerts, besides `namespace`. Default [workload, app]. */
      alertWorkloadLabels?: string[];
      /**
       * Audit events that become deploy markers (replaces the defaults:
       * builds `build-trigger`, `build-rerun`; releases `release-create`,
       * `-promote`, `-transition`, `-rollback`, `-auto-rollback`,
       * `-switch-back`; succeeded and failed). Without `eventIds`, every
       * event of the plugin of at least medium severity.
       */
      markers?: Array<{
        plugin: string;
        eventIds?: string[];
        kind: 'build' | 'release';
        statuses?: Array<'initiated' | 'succeeded' | 'failed'>;
        /** A portal path with {kind}, {namespace}, {name} and {meta.<field>}. */
        link?: string;
      }>;
      /**
       * DEVELOPMENT ONLY: copy the clusters' PrometheusRules (label
       * `role: alert-rules`) into a directory Prometheus loads rule files
       * from, and reload it — what the Prometheus operator does in a real
       * cluster. `./fincloud start` uses the simulator's `.fincloud/rules`.
       */
      ruleSync?: {
        /** Relative paths are resolved from the backend's working directory. */
        directory: string;
        /** The Prometheus to reload; default the first. */
        prometheus?: string;
        /** Clusters to read; default all of `fincloud.clusters`. */
        clusters?: string[];
        /** Default 5. */
        intervalSeconds?: number;
      };
    };
  };
}
