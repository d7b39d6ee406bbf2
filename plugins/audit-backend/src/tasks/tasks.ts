import path from 'node:path';
import {
  AuditorService,
  LoggerService,
  RootConfigService,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { AuditStore } from '@fincloud/plugin-audit-node';
import { AUDIT_EVENTS } from '../auditor/events';

function schedule(
  config: RootConfigService,
  key: string,
  fallback: SchedulerServiceTaskScheduleDefinition,
): SchedulerServiceTaskScheduleDefinition {
  const c = config.getOptionalConfig(`fincloud.audit.schedules.${key}`);
  return c ? readSchedulerServiceTaskScheduleDefinitionFromConfig(c) : fallback;
}

/** Archives records older than the retention, once; returns what was written. */
export async function runRetention(options: {
  store: AuditStore;
  config: RootConfigService;
  auditor: AuditorService;
  logger: LoggerService;
  now?: Date;
}) {
  const { store, config, auditor, logger } = options;
  const days = config.getOptionalNumber('fincloud.audit.retention') ?? 0;
  if (!days || days <= 0) return [];
  const directory = path.resolve(
    config.getOptionalString('fincloud.audit.archiveDirectory') ??
      '.fincloud/audit-archive',
  );
  const olderThan = new Date(
    (options.now ?? new Date()).getTime() - days * 86_400_000,
  );
  const event = await auditor.createEvent({
    eventId: AUDIT_EVENTS.retentionArchive,
    severityLevel: 'medium',
    meta: {
      retentionDays: days,
      olderThan: olderThan.toISOString(),
      directory,
    },
  });
  try {
    const archives = await store.archive({ olderThan, directory });
    await event.success({
      meta: {
        archives: archives.map(a => ({
          fromSeq: a.fromSeq,
          toSeq: a.toSeq,
          file: path.basename(a.file),
          sha256: a.fileSha256,
        })),
      },
    });
    if (archives.length) {
      logger.info(
        `Archived audit records ${archives[0].fromSeq}-${
          archives[archives.length - 1].toSeq
        } to ${directory}`,
      );
    }
    return archives;
  } catch (error) {
    await event.fail({ error: error as Error });
    throw error;
  }
}

/** Verifies the whole chain; a broken chain is logged and recorded as a critical event. */
export async function runScheduledVerify(options: {
  store: AuditStore;
  auditor: AuditorService;
  logger: LoggerService;
}) {
  const { store, auditor, logger } = options;
  const result = await store.verify();
  if (result.ok) {
    logger.info(`Audit chain verified: ${result.checked} records intact`);
    return result;
  }
  logger.error(
    `Audit chain BROKEN at record ${result.firstBroken?.seq}: ${result.firstBroken?.reason}`,
  );
  const event = await auditor.createEvent({
    eventId: AUDIT_EVENTS.chainBroken,
    severityLevel: 'critical',
    meta: { checked: result.checked, firstBroken: result.firstBroken ?? null },
  });
  await event.success();
  return result;
}

export async function scheduleAuditTasks(options: {
  store: AuditStore;
  config: RootConfigService;
  auditor: AuditorService;
  logger: LoggerService;
  scheduler: SchedulerService;
}) {
  const { store, config, auditor, logger, scheduler } = options;

  await scheduler.scheduleTask({
    id: 'audit-retention',
    scope: 'global',
    ...schedule(config, 'retention', {
      frequency: { hours: 6 },
      timeout: { hours: 1 },
      initialDelay: { minutes: 1 },
    }),
    fn: async () => {
      await runRetention({ store, config, auditor, logger });
    },
  });

  await scheduler.scheduleTask({
    id: 'audit-checkpoint',
    scope: 'global',
    ...schedule(config, 'checkpoint', {
      frequency: { minutes: 1 },
      timeout: { minutes: 1 },
    }),
    fn: async () => {
      await store.checkpointNow();
    },
  });

  await scheduler.scheduleTask({
    id: 'audit-verify',
    scope: 'global',
    ...schedule(config, 'verify', {
      frequency: { hours: 24 },
      timeout: { hours: 2 },
      initialDelay: { minutes: 5 },
    }),
    fn: async () => {
      await runScheduledVerify({ store, auditor, logger });
    },
  });
}
