export interface Config {
  fincloud?: {
    /** The audited terminal (plugins/terminal-backend). */
    terminal?: {
      /**
       * Seconds between a replica's heartbeats for its live sessions (default
       * 5); a session without one for 12 heartbeats is ended as lost, and
       * terminations requested on another replica are picked up at the next.
       */
      heartbeatSeconds?: number;
      /** The policy entities get when nothing else picks one (default `standard`). */
      defaultPolicy?: string;
      /**
       * Named allow-list policies, owned by the platform team. A name that is
       * built in (`standard`, `minimal`) replaces it; `extends` starts from
       * another policy and changes what is given (a command set to false is
       * removed).
       */
      policies?: {
        [name: string]: {
          extends?: string;
          description?: string;
          allowedPaths?: string[];
          deniedPaths?: string[];
          allowedHosts?: string[];
          deniedHosts?: string[];
          /** Whether `fincloud.io/terminal-policy` may select it (default true). */
          selectableByAnnotation?: boolean;
          commands?: {
            [command: string]: any;
          };
        };
      };
      /** Policies the platform pins to entities; wins over the entity's annotation. */
      entityPolicies?: Array<{ entityRef: string; policy: string }>;
      limits?: {
        /** Minutes without input before a session ends (default 15; fractions allowed). */
        idleMinutes?: number;
        /** Live sessions one user may have at once (default 3). */
        maxSessionsPerUser?: number;
        /** Live sessions one entity may have at once (default 10). */
        maxSessionsPerEntity?: number;
        /** A restricted command is stopped after this many seconds (default 60). */
        commandTimeoutSeconds?: number;
        /** A restricted command's output is cut after this many bytes (default 4 MiB). */
        maxOutputBytesPerCommand?: number;
        /** Longest restricted-mode line (default 1024). */
        maxLineLength?: number;
        /** Bytes waiting for the browser before reading the pod stops (default 256 KiB). */
        backpressureBytes?: number;
        /**
         * What all live sessions of one backend may hold in send buffers and
         * recording backlogs together (default 64 MiB): with many sessions,
         * each one's share shrinks (never below 16 KiB / two recording chunks).
         */
        bufferBudgetBytes?: number;
      };
      restricted?: {
        /** Maximum session length in minutes (default 60). */
        maxMinutes?: number;
        /** Record restricted sessions as asciicast too (default true). */
        record?: boolean;
      };
      shell?: {
        /** Time box of a break-glass shell in minutes (default 15). */
        maxMinutes?: number;
        /** Shortest justification accepted (default 20 characters). */
        minJustificationLength?: number;
        /** The shell's argv (default ["/bin/sh"]). */
        command?: string[];
        /**
         * Namespaces (`<cluster>/<namespace>` or `<namespace>`) where a shell
         * needs a second person's approval. The approval flow is not built
         * yet: shells there are refused (4403) with that reason.
         */
        approvalNamespaces?: string[];
      };
      debug?: {
        /** Image of the ephemeral debug container (default `busybox:1.36`). */
        image?: string;
        /** Its command; it sleeps for the session's time box by default. */
        command?: string[];
        /** Seconds to wait for the debug container to run (default 60). */
        startTimeoutSeconds?: number;
        networkPolicy?: {
          /** Apply the egress NetworkPolicy to the pod while a debug session runs (default true). */
          enabled?: boolean;
          /** NetworkPolicy egress rules allowed (Kubernetes `spec.egress` items); DNS is always allowed. */
          egress?: any[];
        };
      };
      masking?: {
        /** Extra secret patterns (RE2 syntax), masked in recordings, command logs and audit. */
        patterns?: string[];
        /** Read the Secrets the pod's environment references and mask their values (default true). */
        podSecrets?: boolean;
      };
      recording?: {
        /** A recording chunk is written when it reaches this size (default 64 KiB) ... */
        chunkBytes?: number;
        /** ... or this old (default 1000 ms). */
        flushMillis?: number;
        /** Unwritten recording bytes before reading the pod pauses (default 1 MiB). */
        maxBacklogBytes?: number;
      };
    };
  };
}
