import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  AlertRuleSpec,
  CreateSilenceRequest,
  monitoringNoiseReadPermission,
  monitoringReadPermission,
  monitoringRulesWritePermission,
  monitoringSilencePermission,
  NoiseWindow,
} from '@fincloud/plugin-monitoring-common';
import {
  AlertCenterQuery,
  DashboardQuery,
  MonitoringService,
  RequestOptions,
} from './types';

/**
 * The permission decorator: every call is authorized before the domain
 * service runs; a denial is a NotAllowedError (403).
 *
 * - entity reads: `monitoring.read` on the entity;
 * - silences: `monitoring.silence` on the entity (expiry too: the silence
 *   must also be one of that entity's, which the domain service checks);
 * - rules: `monitoring.rules.write` on the entity;
 * - the alert center: `monitoring.read` per entity, the alerts of entities
 *   the caller may not read are left out; alerts no entity claims are shown
 *   to those who may read the noise report (platform, auditors) only;
 * - the noise report: `monitoring.noise.read`.
 */
export class AuthorizedMonitoringService implements MonitoringService {
  constructor(
    private readonly inner: MonitoringService,
    private readonly permissions: PermissionsService,
  ) {}

  private async require(
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
    credentials: BackstageCredentials,
    what: string,
  ) {
    const [decision] = await this.permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You may not ${what} of ${entityRef} (${permission.name})`,
      );
    }
  }

  async dashboard(
    entityRef: string,
    query: DashboardQuery,
    options: RequestOptions,
  ) {
    await this.require(
      monitoringReadPermission,
      entityRef,
      options.credentials,
      'read the monitoring',
    );
    return this.inner.dashboard(entityRef, query, options);
  }

  async alerts(entityRef: string, options: RequestOptions) {
    await this.require(
      monitoringReadPermission,
      entityRef,
      options.credentials,
      'read the alerts',
    );
    return this.inner.alerts(entityRef, options);
  }

  async silences(entityRef: string, options: RequestOptions) {
    await this.require(
      monitoringReadPermission,
      entityRef,
      options.credentials,
      'read the silences',
    );
    return this.inner.silences(entityRef, options);
  }

  async createSilence(
    entityRef: string,
    request: CreateSilenceRequest,
    options: RequestOptions,
  ) {
    await this.require(
      monitoringSilencePermission,
      entityRef,
      options.credentials,
      'silence the alerts',
    );
    return this.inner.createSilence(entityRef, request, options);
  }

  async expireSilence(id: string, entityRef: string, options: RequestOptions) {
    await this.require(
      monitoringSilencePermission,
      entityRef,
      options.credentials,
      'expire the silences',
    );
    return this.inner.expireSilence(id, entityRef, options);
  }

  async rules(entityRef: string, options: RequestOptions) {
    await this.require(
      monitoringReadPermission,
      entityRef,
      options.credentials,
      'read the alert rules',
    );
    return this.inner.rules(entityRef, options);
  }

  async previewRule(
    entityRef: string,
    spec: AlertRuleSpec,
    options: RequestOptions,
  ) {
    await this.require(
      monitoringReadPermission,
      entityRef,
      options.credentials,
      'preview alert rules',
    );
    return this.inner.previewRule(entityRef, spec, options);
  }

  async putRule(
    entityRef: string,
    spec: AlertRuleSpec,
    options: RequestOptions,
  ) {
    await this.require(
      monitoringRulesWritePermission,
      entityRef,
      options.credentials,
      'write the alert rules',
    );
    return this.inner.putRule(entityRef, spec, options);
  }

  async deleteRule(entityRef: string, name: string, options: RequestOptions) {
    await this.require(
      monitoringRulesWritePermission,
      entityRef,
      options.credentials,
      'delete the alert rules',
    );
    return this.inner.deleteRule(entityRef, name, options);
  }

  async alertCenter(query: AlertCenterQuery, options: RequestOptions) {
    const { credentials } = options;
    return this.inner.alertCenter(query, {
      credentials,
      visible: async entityRefs => {
        const decisions = await this.permissions.authorize(
          [
            ...entityRefs.map(resourceRef => ({
              permission: monitoringReadPermission,
              resourceRef,
            })),
            { permission: monitoringNoiseReadPermission },
          ],
          { credentials },
        );
        const refs = new Set(
          entityRefs.filter(
            (_ref, i) => decisions[i].result === AuthorizeResult.ALLOW,
          ),
        );
        const unowned =
          decisions[entityRefs.length].result === AuthorizeResult.ALLOW;
        return { refs, unowned };
      },
    });
  }

  async noise(window: NoiseWindow, options: RequestOptions) {
    const [decision] = await this.permissions.authorize(
      [{ permission: monitoringNoiseReadPermission }],
      { credentials: options.credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        'The alert noise report needs monitoring.noise.read (platform team, auditors)',
      );
    }
    return this.inner.noise(window, options);
  }
}
