import {
  TrafficPolicy,
  TrafficPolicyProposal,
} from '@fincloud/plugin-releases-common';
import { HttpRoute } from '../domain/routing';
import { ReleaseIntent, ReleaseRecord } from '../domain/types';

/** What was last applied to the cluster for a release. */
export interface AppliedState {
  generation: number;
  /** The intent's `reapply` counter when it was applied. */
  reapply: number;
  /** The VirtualService `spec.http` as the cluster returned it. */
  http?: HttpRoute[];
  at: number;
}

/** A release row. */
export interface StoredRelease {
  record: ReleaseRecord;
  revision: number;
  intent: ReleaseIntent | null;
  intentGeneration: number;
  appliedGeneration: number;
  applied: AppliedState | null;
  claimedBy: string | null;
  claimedUntil: number | null;
}

/** The workload a traffic policy applies to. */
export interface PolicyTarget {
  cluster: string;
  namespace: string;
  workload: string;
}

/** A traffic policy proposal row. */
export interface StoredPolicy {
  proposal: TrafficPolicyProposal;
  /** Where the policy applies. */
  target: PolicyTarget;
  /** The policy in force before this one was applied (what revert restores). */
  previous?: TrafficPolicy;
  revision: number;
}

export interface ReleaseStore {
  /** Inserts a new release; ConflictError when the entity has an active one. */
  insert(
    record: ReleaseRecord,
    intent: ReleaseIntent | null,
  ): Promise<StoredRelease>;
  get(id: string): Promise<StoredRelease | undefined>;
  /** The entity's release that is not finished, if any. */
  active(entityRef: string): Promise<StoredRelease | undefined>;
  /** The entity's releases, newest first. */
  list(
    entityRef: string,
    options: { limit: number; cursor?: string },
  ): Promise<{ items: StoredRelease[]; nextCursor?: string }>;
  /** The entity's newest finished release that promoted its version (where the stable version runs). */
  lastPromoted(entityRef: string): Promise<StoredRelease | undefined>;
  /** Releases the controller looks after: unfinished, or with an intent not applied yet. */
  listReconcilable(): Promise<StoredRelease[]>;
  /**
   * Writes a transition: the record and (when the desired cluster state
   * changed) the intent, in one statement guarded by the revision.
   * ConflictError when someone else wrote first.
   */
  update(
    previous: StoredRelease,
    record: ReleaseRecord,
    intent: { value: ReleaseIntent | null; changed: boolean },
  ): Promise<StoredRelease>;
  /** Takes (or renews) the apply lease; false when another holder's lease is still running. */
  claim(
    id: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<boolean>;
  unclaim(id: string, owner: string): Promise<void>;
  /** Records that `generation` is in the cluster and ends the lease, if the caller still holds it. */
  markApplied(
    id: string,
    owner: string,
    applied: AppliedState,
  ): Promise<boolean>;

  insertPolicy(
    proposal: TrafficPolicyProposal,
    target: PolicyTarget,
  ): Promise<StoredPolicy>;
  getPolicy(id: string): Promise<StoredPolicy | undefined>;
  listPolicies(entityRef: string, limit: number): Promise<StoredPolicy[]>;
  /** The proposal whose policy is in force (applied, not reverted), if any. */
  currentPolicy(entityRef: string): Promise<StoredPolicy | undefined>;
  updatePolicy(
    id: string,
    expectedRevision: number,
    proposal: TrafficPolicyProposal,
    previous?: TrafficPolicy,
  ): Promise<StoredPolicy>;
}
