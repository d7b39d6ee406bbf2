import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { FincloudClustersService } from '@fincloud/plugin-fincloud-node';
import {
  CommandDecision,
  CommandLog,
  PodTarget,
  PolicyHint,
  SessionPage,
  SessionSummary,
  TerminalMode,
  evaluateCommandLine,
  policyHint,
} from '@fincloud/plugin-terminal-common';
import type { TerminalConfig } from '../config';
import type { StoredSession, TerminalStore } from '../database/TerminalStore';
import type { RecordingStore } from '../recording/RecordingStore';
import { describeKubeError, KubeGateway } from './KubeGateway';
import { policyForEntity } from './policies';
import type { SessionRegistry } from '../ws/SessionRegistry';

export interface SessionListQuery {
  entityRef?: string;
  user?: string;
  mode?: TerminalMode;
  live?: boolean;
  limit: number;
  cursor?: string;
}

/** The terminal's HTTP logic, without authorization (AuthorizedTerminalService decides). */
export class DefaultTerminalService {
  constructor(
    private readonly deps: {
      config: TerminalConfig;
      store: TerminalStore;
      recordings: RecordingStore;
      catalog: CatalogService;
      clusters: FincloudClustersService;
      gateway: KubeGateway;
      registry: SessionRegistry;
      logger: LoggerService;
    },
  ) {}

  async getEntity(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<Entity> {
    const entity = await this.deps.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    if (!entity) throw new NotFoundError(`No entity ${entityRef}`);
    return entity;
  }

  entityRefOf(entity: Entity): string {
    return stringifyEntityRef(entity);
  }

  async targets(entity: Entity): Promise<PodTarget[]> {
    const workloads = this.deps.clusters.resolveWorkloads(entity);
    const failures: string[] = [];
    const perCluster = await Promise.all(
      workloads.map(async w => {
        try {
          const pods = await this.deps.gateway.listWorkloadPods(
            w.cluster.name,
            w.namespace,
            w.workload,
          );
          return pods
            .filter(p => !p.metadata?.deletionTimestamp)
            .map(
              (p): PodTarget => ({
                cluster: w.cluster.name,
                namespace: w.namespace,
                pod: p.metadata?.name ?? '',
                containers: (p.spec?.containers ?? []).map(c => c.name),
                phase: p.status?.phase ?? 'Unknown',
                ready:
                  p.status?.conditions?.some(
                    c => c.type === 'Ready' && c.status === 'True',
                  ) ?? false,
              }),
            )
            .sort((a, b) => a.pod.localeCompare(b.pod));
        } catch (error) {
          const text = `cluster ${w.cluster.name}: ${describeKubeError(error)}`;
          this.deps.logger.warn(`Listing pods failed on ${text}`);
          failures.push(text);
          return [];
        }
      }),
    );
    if (failures.length > 0 && failures.length === workloads.length) {
      throw new ServiceUnavailableError(
        `No cluster of ${stringifyEntityRef(entity)} answered: ${failures.join(
          '; ',
        )}`,
      );
    }
    return perCluster.flat();
  }

  policy(entity: Entity): PolicyHint {
    const policy = policyForEntity(entity, this.deps.config);
    const hint = policyHint(policy);
    return {
      allowed: hint.allowed,
      notes: [`Policy "${policy.name}".`, ...hint.notes],
    };
  }

  async check(entity: Entity, line: string): Promise<CommandDecision> {
    const policy = policyForEntity(entity, this.deps.config);
    const [workload] = this.deps.clusters.resolveWorkloads(entity);
    const isKnownHost = workload
      ? await this.deps.gateway.knownHosts(
          workload.cluster.name,
          workload.namespace,
        )
      : () => false;
    return evaluateCommandLine(line, policy, {
      limits: { maxLineLength: this.deps.config.limits.maxLineLength },
      isKnownHost,
    }).decision;
  }

  async listSessions(
    query: SessionListQuery,
    scope: 'all' | string[],
  ): Promise<SessionPage> {
    return this.deps.store.listSessions({
      ...query,
      ...(scope === 'all' ? {} : { entityRefs: scope }),
    });
  }

  distinctEntityRefs(): Promise<string[]> {
    return this.deps.store.distinctEntityRefs(1000);
  }

  async getStoredSession(id: string): Promise<StoredSession> {
    const session = await this.deps.store.getSession(id);
    if (!session) throw new NotFoundError(`No terminal session ${id}`);
    return session;
  }

  summary(session: StoredSession): SessionSummary {
    const {
      instanceId: _i,
      heartbeatAt: _h,
      terminateRequestedBy: _t,
      terminateReason: _r,
      ...summary
    } = session;
    return summary;
  }

  async recording(session: StoredSession): Promise<AsyncIterable<string>> {
    if (
      !session.hasRecording ||
      !(await this.deps.recordings.exists(session.id))
    ) {
      throw new NotFoundError(`Session ${session.id} has no recording`);
    }
    return this.deps.recordings.read(session.id);
  }

  async commands(session: StoredSession): Promise<CommandLog> {
    return { items: await this.deps.store.listCommands(session.id) };
  }

  /**
   * Ends a live session: at once when this replica holds it, otherwise the
   * replica holding it sees the request at its next heartbeat (a few
   * seconds); waits up to 10 s for the session to end.
   */
  async terminate(
    session: StoredSession,
    by: string,
    reason: string,
  ): Promise<SessionSummary> {
    const requested = await this.deps.store.requestTerminate(
      session.id,
      by,
      reason,
    );
    if (!requested) return this.summary(session);
    const local = this.deps.registry.get(session.id);
    if (local) {
      await local.terminate(by, reason);
    } else {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const now = await this.deps.store.getSession(session.id);
        if (!now?.live) break;
        await new Promise(r => setTimeout(r, 250));
      }
    }
    return this.summary(await this.getStoredSession(session.id));
  }
}
