import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { getTeamLeadRefs } from '@fincloud/plugin-fincloud-common';

const PAGE_SIZE = 500;

/** Which groups each user leads, by lower-case user ref. */
type LeadIndex = ReadonlyMap<string, readonly string[]>;

/** @public */
export interface TeamLeadDirectoryOptions {
  catalog: CatalogService;
  auth: AuthService;
  logger: LoggerService;
  /** How long one catalog read is trusted; 0 reads the catalog on every call. */
  cacheTtlMs: number;
  /** Injected clock for tests. */
  now?: () => number;
}

/**
 * Knows which Groups name a user in their `fincloud.io/team-leads` annotation.
 *
 * Reads every Group from the catalog with the permission plugin's own service
 * credentials (the user asking could not be trusted to see them all), and
 * keeps the answer for `cacheTtlMs` so a page of permission checks costs one
 * catalog query. Safely:
 * - concurrent callers share one in-flight read;
 * - a failed read is never cached and never replaced by an older answer: the
 *   caller gets the error and the policy treats the user as leading nothing
 *   (deny), so removing a lead in the catalog takes effect within one TTL;
 * - an answer that arrives after a newer one started is not stored over it.
 *
 * @public
 */
export class TeamLeadDirectory {
  private readonly catalog: CatalogService;
  private readonly auth: AuthService;
  private readonly logger: LoggerService;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private cached?: { index: LeadIndex; loadedAt: number };
  private inFlight?: Promise<LeadIndex>;

  constructor(options: TeamLeadDirectoryOptions) {
    this.catalog = options.catalog;
    this.auth = options.auth;
    this.logger = options.logger;
    this.ttlMs = options.cacheTtlMs;
    this.now = options.now ?? Date.now;
  }

  /** The full refs of the groups `userEntityRef` leads (matched case-insensitively). */
  async groupsLedBy(userEntityRef: string): Promise<string[]> {
    const index = await this.index();
    return [...(index.get(userEntityRef.toLocaleLowerCase('en-US')) ?? [])];
  }

  private async index(): Promise<LeadIndex> {
    const cached = this.cached;
    if (cached && this.now() - cached.loadedAt < this.ttlMs) {
      return cached.index;
    }
    if (!this.inFlight) {
      const startedAt = this.now();
      const load = this.load().then(
        index => {
          if (!this.cached || this.cached.loadedAt <= startedAt) {
            this.cached = { index, loadedAt: startedAt };
          }
          return index;
        },
        error => {
          this.logger.warn(
            `Could not read team leads from the catalog; leads get no lead rights until it answers: ${error}`,
          );
          throw error;
        },
      );
      this.inFlight = load;
      load
        .finally(() => {
          if (this.inFlight === load) {
            this.inFlight = undefined;
          }
        })
        .catch(() => {});
    }
    return this.inFlight;
  }

  private async load(): Promise<LeadIndex> {
    const credentials = await this.auth.getOwnServiceCredentials();
    const fields = [
      'apiVersion',
      'kind',
      'metadata.name',
      'metadata.namespace',
      'metadata.annotations',
    ];
    const items: Entity[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.catalog.queryEntities(
        cursor
          ? { cursor, limit: PAGE_SIZE, fields }
          : { filter: { kind: 'Group' }, limit: PAGE_SIZE, fields },
        { credentials },
      );
      items.push(...page.items);
      cursor = page.pageInfo.nextCursor;
    } while (cursor);
    const index = new Map<string, string[]>();
    for (const group of items) {
      // As the catalog writes it: the ownedBy relations compare exactly.
      const groupRef = stringifyEntityRef(group);
      let leads: string[];
      try {
        leads = getTeamLeadRefs(group);
      } catch (error) {
        this.logger.warn(
          `Ignoring the malformed fincloud.io/team-leads annotation of ${groupRef}: ${error}`,
        );
        continue;
      }
      for (const lead of leads) {
        const key = lead.toLocaleLowerCase('en-US');
        index.set(key, [...(index.get(key) ?? []), groupRef]);
      }
    }
    return index;
  }
}
