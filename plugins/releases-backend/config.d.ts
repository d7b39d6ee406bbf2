export interface Config {
  fincloud?: {
    /** fincloud releases (plugins/releases-backend). */
    releases?: {
      /** Team-lead approvals a release needs when the entity has no fincloud.io/release-approvals (0-10, default 1). */
      defaultApprovals?: number;
      /** How long an approval counts: a duration string ('24h', 'PT8H') or object ({ hours: 24 }); default 24 h. */
      approvalTtl?:
        | string
        | { days?: number; hours?: number; minutes?: number; seconds?: number };
      blueGreen?: {
        /** How long the old version stays warm after the switch, for an instant switch-back (default 600). */
        warmSeconds?: number;
      };
      /** Default step plans (the start dialog can change them per release). */
      plans?: {
        canary?: Array<{
          weight: number;
          pause?: { seconds: number };
          approval?: boolean;
          analysis?: boolean;
        }>;
        blueGreen?: Array<{
          weight: number;
          pause?: { seconds: number };
          approval?: boolean;
          analysis?: boolean;
        }>;
      };
      /** Change-freeze calendars: releases are refused from each cron occurrence for durationHours. */
      freezeWindows?: Array<{
        name?: string;
        /** Only services of this catalog System (name); all services when absent. */
        system?: string;
        /** Five-field cron of the window's start, e.g. "0 18 * * 5" (Friday 18:00). */
        cron: string;
        durationHours: number;
        /** IANA time zone of the cron (default UTC). */
        timezone?: string;
      }>;
      /** Named, platform-owned scheduling profiles (default: high-performance and general). */
      schedulingProfiles?: Array<{
        name: string;
        nodeAffinity?: Array<{
          key: string;
          operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
          values?: string[];
        }>;
        tolerations?: Array<{
          key: string;
          operator?: 'Equal' | 'Exists';
          value?: string;
          effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
        }>;
        /** Node label pods of one version must not share (required pod anti-affinity), e.g. kubernetes.io/hostname. */
        spreadAcross?: string;
      }>;
      /** Profile for entities without fincloud.io/scheduling-profile. */
      defaultSchedulingProfile?: string;
      controller?: {
        /** Seconds between controller ticks (default 5). */
        intervalSeconds?: number;
        /** Apply lease, seconds (default 30). */
        leaseSeconds?: number;
        /** Failed applies before a release is marked failed (default 5). */
        maxApplyAttempts?: number;
        /** Releases reconciled in parallel (default 16). */
        concurrency?: number;
      };
      analysis?: {
        /** Prometheus for the metric gates (HTTP API), e.g. http://127.0.0.1:9090. */
        prometheusUrl?: string;
        /** A Prometheus per cluster, when they differ. */
        clusters?: Array<{ cluster: string; prometheusUrl: string }>;
        /** PromQL range of the gate queries (default 1m). */
        window?: string;
        /** Seconds between analyses of a step; the first runs this long after the step is ready (default 15). */
        intervalSeconds?: number;
        /** Gates without data for this long pause the release (default 600). */
        timeoutSeconds?: number;
        /** Metric gates (default: success-rate, latency-p99-ms, restarts on Istio's standard metrics). */
        gates?: Array<{
          name: string;
          /** PromQL template: {{namespace}}, {{app}}, {{service}}, {{version}}, {{deployment}}, {{podRegex}}, {{window}}. */
          query: string;
          threshold: {
            min?: number;
            max?: number;
            maxRatioToStable?: number;
            maxDropFromStable?: number;
          };
        }>;
      };
    };
  };
}
