import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import {
  AuditorService,
  AuditorServiceCreateEventOptions,
  AuditorServiceEvent,
  AuthService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PluginMetadataService,
  RootConfigService,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { auditorServiceFactory } from '@backstage/backend-defaults/auditor';
import { ForwardedError } from '@backstage/errors';
import { AuditSeverity } from '@fincloud/plugin-audit-common';
import { AuditEventInput, AuditStore } from '../store/types';
import { isErrorLike } from '../chain/canonical';
import { auditStoreServiceRef } from './auditStoreServiceRef';

type LoggingDeps = {
  config: RootConfigService;
  logger: LoggerService;
  auth: AuthService;
  httpAuth: HttpAuthService;
  plugin: PluginMetadataService;
};

/**
 * Builds the auditor Backstage installs by default (`auditorServiceFactory`
 * of `@backstage/backend-defaults/auditor`) for one plugin, so the events
 * are logged exactly as without fincloud: same logger child, same
 * `backend.auditor.severityLogLevelMappings`.
 */
async function createDefaultLoggingAuditor(
  deps: LoggingDeps,
): Promise<AuditorService> {
  const factory = (
    auditorServiceFactory as unknown as {
      factory?: (deps: LoggingDeps, ctx: unknown) => Promise<AuditorService>;
    }
  ).factory;
  if (typeof factory !== 'function') {
    throw new Error(
      'Cannot wrap the default auditor: @backstage/backend-defaults/auditor changed shape',
    );
  }
  return factory(deps, undefined);
}

function errorText(error: unknown): string {
  if (isErrorLike(error)) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * An {@link AuditorService} that logs every event through Backstage's
 * default auditor and persists it to the fincloud audit store.
 *
 * - The three records of one event (initiated, then succeeded or failed)
 *   share a `correlationId`.
 * - `high` / `critical`: each record is committed to the database before
 *   `createEvent` / `success` / `fail` returns. When `createEvent` cannot
 *   commit, it throws a `ServiceUnavailableError` (503, "audit trail
 *   unavailable; action refused") and the caller's action must not run.
 *   When an outcome cannot be committed (the action already happened) it is
 *   kept in the fsynced local spool and delivered later.
 * - `low` / `medium`: written to the local spool and delivered in batches.
 * - The actor is resolved as Backstage's auditor does (the request's
 *   credentials, else the plugin's own service credentials); the entity
 *   ref is `meta.entityRef` when it is a string.
 *
 * @public
 */
export class FincloudAuditorService implements AuditorService {
  constructor(
    private readonly deps: {
      logging: AuditorService;
      store: AuditStore;
      auth: AuthService;
      httpAuth: HttpAuthService;
      pluginId: string;
    },
  ) {}

  async createEvent(
    options: AuditorServiceCreateEventOptions,
  ): Promise<AuditorServiceEvent> {
    const { store, logging } = this.deps;
    const severity: AuditSeverity = options.severityLevel ?? 'low';
    const actor = await this.resolveActor(options.request);
    const request = options.request;
    const base: Omit<AuditEventInput, 'status'> = {
      plugin: this.deps.pluginId,
      eventId: options.eventId,
      severity,
      actor,
      correlationId: randomUUID(),
      ...(request
        ? {
            request: {
              method: request.method,
              path: request.originalUrl ?? request.url,
              ip: request.ip,
            },
          }
        : {}),
    };
    const entityRefOf = (meta?: Record<string, unknown>) =>
      typeof meta?.entityRef === 'string' ? meta.entityRef : undefined;

    await store.append({
      ...base,
      status: 'initiated',
      meta: options.meta,
      entityRef: entityRefOf(options.meta),
    });
    const logged = await logging.createEvent(options);

    return {
      success: async params => {
        const meta = { ...options.meta, ...params?.meta };
        await store.appendOutcome({
          ...base,
          status: 'succeeded',
          meta,
          entityRef: entityRefOf(meta),
        });
        await logged.success(params);
      },
      fail: async params => {
        const meta = { ...options.meta, ...params?.meta };
        await store.appendOutcome({
          ...base,
          status: 'failed',
          meta,
          entityRef: entityRefOf(meta),
          error: errorText(params?.error),
        });
        await logged.fail(params);
      },
    };
  }

  private async resolveActor(
    request?: Request<any, any, any, any, any>,
  ): Promise<AuditEventInput['actor']> {
    const { auth, httpAuth } = this.deps;
    let credentials: BackstageCredentials =
      await auth.getOwnServiceCredentials();
    if (request) {
      try {
        credentials = await httpAuth.credentials(request);
      } catch (error) {
        throw new ForwardedError('Could not resolve credentials', error);
      }
    }
    if (auth.isPrincipal(credentials, 'user')) {
      return { type: 'user', ref: credentials.principal.userEntityRef };
    }
    if (auth.isPrincipal(credentials, 'service')) {
      return { type: 'service', ref: credentials.principal.subject };
    }
    return { type: 'none' };
  }
}

/**
 * Replaces Backstage's `coreServices.auditor`: logs like the default and
 * persists every event of every plugin to the fincloud audit store.
 *
 * ```ts
 * backend.add(fincloudAuditorServiceFactory);
 * ```
 *
 * @public
 */
export const fincloudAuditorServiceFactory = createServiceFactory({
  service: coreServices.auditor,
  deps: {
    config: coreServices.rootConfig,
    logger: coreServices.logger,
    auth: coreServices.auth,
    httpAuth: coreServices.httpAuth,
    plugin: coreServices.pluginMetadata,
    store: auditStoreServiceRef,
  },
  async factory({ config, logger, auth, httpAuth, plugin, store }) {
    const logging = await createDefaultLoggingAuditor({
      config,
      logger,
      auth,
      httpAuth,
      plugin,
    });
    return new FincloudAuditorService({
      logging,
      store,
      auth,
      httpAuth,
      pluginId: plugin.getId(),
    });
  },
});
