import { HumanDuration } from '@backstage/types';

/** Resource requests/limits of one build step container. */
interface StepResources {
  requests?: { cpu?: string; memory?: string; 'ephemeral-storage'?: string };
  limits?: { cpu?: string; memory?: string; 'ephemeral-storage'?: string };
}

/** The two generated Dockerfiles of one language. */
interface LanguageTemplates {
  /** Single stage: the toolchain image with the sources and the build output. */
  generic?: string;
  /** Multi-stage: a builder stage with the toolchain, a slim runtime stage with the artifact only. */
  compileThenBuild?: string;
}

export interface Config {
  fincloud?: {
    builds?: {
      /** Namespace the build Jobs run in, on the entity's cluster. Default `fincloud-builds`. */
      namespace?: string;
      /** Registry (host and optional path) images are pushed to. Default `registry.fincloud.example`. */
      registry?: string;
      /**
       * Image repository per entity; `{registry}`, `{namespace}` (the entity's
       * `fincloud.io/namespace`), `{name}` (entity name). Default
       * `{registry}/{namespace}/{name}`. The tag is `<build number>-<commit or branch>`.
       */
      imageRepository?: string;
      /** Container images of the build steps. */
      images?: {
        /** Git image of the clone step. Default `alpine/git:2.45.2`. */
        clone?: string;
        /** Scanner image producing SARIF (its last lines: `SCAN SUMMARY …` and `SARIF {…}`). Default `semgrep/semgrep:1.85.0`. */
        scanner?: string;
        /** Daemonless builder image (kaniko executor or BuildKit rootless). Default kaniko `gcr.io/kaniko-project/executor:v1.23.2`. */
        builder?: string;
      };
      /** Which builder the builder image is: `kaniko` (default) or `buildkit` (rootless, daemonless). */
      builder?: 'kaniko' | 'buildkit';
      /** Layer cache of the builder. */
      cache?: {
        /** Default true. */
        enabled?: boolean;
        /** Cache repository; default `{registry}/cache/{namespace}/{name}`. */
        repository?: string;
        /** kaniko `--cache-ttl`. Default `168h`. */
        ttl?: string;
      };
      /** The pre-build static scan. */
      scan?: {
        /** Default true. */
        enabled?: boolean;
        /** Findings at or above this severity fail the build unless waived: `critical`, `high` (default), `medium`, `low`. */
        failOn?: 'critical' | 'high' | 'medium' | 'low';
        /** Longest a waiver may run, in days. Default 30. */
        maxWaiverDays?: number;
      };
      /** Requests and limits per step container. */
      resources?: {
        clone?: StepResources;
        scan?: StepResources;
        build?: StepResources;
      };
      /** The Job's `activeDeadlineSeconds`. Default 1800. */
      activeDeadlineSeconds?: number;
      /** The Job's `ttlSecondsAfterFinished` (the pod is destroyed after it). Default 600. */
      ttlSecondsAfterFinished?: number;
      /** Build-pool placement. */
      placement?: {
        nodeSelector?: { [key: string]: string };
        tolerations?: Array<{
          key?: string;
          operator?: 'Equal' | 'Exists';
          value?: string;
          effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
          tolerationSeconds?: number;
        }>;
      };
      /** Extra annotations on every build pod (e.g. `sidecar.istio.io/inject: "false"`). */
      podAnnotations?: { [key: string]: string };
      /** Service account of build pods. */
      serviceAccountName?: string;
      /** A `kubernetes.io/dockerconfigjson` Secret in the build namespace, mounted for the builder to push. */
      registrySecret?: string;
      /** Branch used when a request names none (and to read `.fincloud/build.yaml` for the config view). Default `main`. */
      defaultBranch?: string;
      /**
       * Repository for entities without `fincloud.io/source-repo`: `{namespace}`
       * (entity namespace), `{name}`, `{owner}` (the owner's name). Unset: such entities cannot build.
       */
      sourceRepoTemplate?: string;
      /** Dockerfile templates per language (`java`, `go`, `python`, `node`, `static`); platform-owned. Defaults ship with the plugin. */
      templates?: { [language: string]: LanguageTemplates };
      /** Defaults of the in-repo-dockerfile type (a `.fincloud/build.yaml` may set them per repository). */
      inRepo?: {
        /** Default `Dockerfile`. */
        dockerfile?: string;
        /** Default `.`. */
        context?: string;
      };
      /** Jobs running at once per cluster; more wait queued. Default 10. */
      maxConcurrentBuilds?: number;
      /** A build still queued after this many minutes fails. Default 60. */
      queueTimeoutMinutes?: number;
      /** Where logs are kept. */
      logs?: {
        /** `database` (default: line-range chunks in the plugin's database) or `filesystem` (an object store of chunk files). */
        store?: 'database' | 'filesystem';
        /** Directory of the filesystem store. Default `.fincloud/build-logs`. */
        directory?: string;
        /** Lines per stored chunk. Default 2000. */
        chunkLines?: number;
        /** A partial chunk is stored after this many milliseconds without new lines, so live views see lines. Default 500. */
        flushIntervalMs?: number;
      };
      /** The reconciling controller (a scheduler task, one replica at a time). */
      controller?: {
        /** How often it reconciles. Default every 5 seconds. */
        frequency?: HumanDuration;
        /** How long a replica holds a build's log follower without renewing it. Default 30 seconds. */
        leaseSeconds?: number;
      };
    };
  };
}
