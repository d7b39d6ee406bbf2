import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  fincloud?: {
    audit?: {
      /**
       * Retention in days. Records older than this are archived: written with
       * their chain proof to JSON Lines files under archiveDirectory and
       * recorded in the audit_archives table. The rows stay in the database
       * (the table is append-only); nothing is ever deleted by fincloud.
       * Absent or 0: nothing is archived.
       */
      retention?: number;
      /**
       * Where archive files go. Relative paths are resolved from the
       * backend's working directory. Default `.fincloud/audit-archive`.
       */
      archiveDirectory?: string;
      /** Seconds a `GET /verify` result is reused (one walk at a time). Default 30. */
      verifyCacheSeconds?: number;
      /** Schedules of the audit plugin's tasks (each runs on one replica at a time). */
      schedules?: {
        /** Retention archival. Default every 6 hours. */
        retention?: SchedulerServiceTaskScheduleDefinitionConfig;
        /** Full chain verification, logged and audited when broken. Default every 24 hours. */
        verify?: SchedulerServiceTaskScheduleDefinitionConfig;
        /** A signed checkpoint of the head, so quiet periods are covered too. Default every minute. */
        checkpoint?: SchedulerServiceTaskScheduleDefinitionConfig;
      };
    };
  };
}
