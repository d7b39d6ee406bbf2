export interface Config {
  fincloud?: {
    audit?: {
      /** Signed checkpoints of the audit chain. */
      checkpoints?: {
        /** Sign a checkpoint at least every this many records. Default 1000. */
        every?: number;
        /** ... and at least this often while records arrive, in seconds. Default 60. */
        intervalSeconds?: number;
        /** Name of the active key, stored with each checkpoint. Default 'default'. */
        keyId?: string;
        /**
         * HMAC-SHA256 secret (at least 32 characters) signing checkpoints.
         * Required unless ed25519PrivateKey is set.
         * @visibility secret
         */
        hmacKey?: string;
        /**
         * Ed25519 private key (PEM, PKCS#8). When set, checkpoints are signed
         * with it instead of the HMAC key, and anyone with the public key can
         * check them.
         * @visibility secret
         */
        ed25519PrivateKey?: string;
        /** Ed25519 public key (PEM) for hosts that only verify (the CLI). */
        ed25519PublicKey?: string;
        /** Keys that signed older checkpoints; verify still accepts them. */
        retiredKeys?: Array<{
          keyId: string;
          /** @visibility secret */
          hmacKey?: string;
          ed25519PublicKey?: string;
        }>;
      };
      /** The local durable spool of buffered (low/medium) events. */
      spool?: {
        /**
         * Directory of the spool; one per backend instance, on local disk.
         * Relative paths are resolved from the backend's working directory.
         * Default `.fincloud/audit-spool`.
         */
        directory?: string;
        /** Buffered events held in memory before new ones wait in the spool only. Default 50000. */
        maxQueuedEvents?: number;
      };
      /** The writer that delivers events to the database. */
      writer?: {
        /** Most records per transaction. Default 500. */
        batchSize?: number;
        /** First retry delay after a failed write, ms. Default 200. */
        retryInitialMs?: number;
        /** Longest retry delay, ms. Default 5000. */
        retryMaxMs?: number;
        /** A high/critical event not committed within this many ms is refused. Default 5000. */
        failClosedTimeoutMs?: number;
        /** A write transaction running longer than this many ms counts as failed. Default 10000. */
        commitTimeoutMs?: number;
      };
    };
  };
}
