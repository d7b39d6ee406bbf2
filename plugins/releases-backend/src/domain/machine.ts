import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  Analysis,
  Release,
  ReleaseState,
  isReleaseFinished,
} from '@fincloud/plugin-releases-common';
import { buildHttpRoutes, canaryReplicas, SubsetName } from './routing';
import {
  DeploymentIntent,
  MachineConfig,
  ReleaseIntent,
  ReleaseRecord,
} from './types';

/**
 * The release state machine: pure functions from (release, input) to the
 * next release. No I/O; the service and the controller persist what it
 * returns (with the intent from {@link desiredState}) before anything
 * reaches a cluster.
 */

/** Something a person does to a release. */
export type ReleaseAction =
  | { type: 'approve'; by: string; reason: string }
  | { type: 'reject'; by: string; reason: string }
  | { type: 'promote'; by: string; full: boolean }
  | { type: 'pause'; by: string }
  | { type: 'resume'; by: string }
  | { type: 'rollback'; by: string; reason: string }
  | { type: 'switch-back'; by: string; reason: string };

/** Something the controller observed. */
export type ControllerInput =
  /** Time passed: timed pauses and warm windows end. */
  | { type: 'tick' }
  /** The cluster reached the intent (pods ready), or a rollout failed. */
  | { type: 'observed'; ready: boolean; rolloutFailed?: string }
  /** The metric gates of the current step ran. */
  | { type: 'analysis'; analysis: Analysis }
  /** The VirtualService differs from what was last applied. */
  | { type: 'drift'; details: string }
  /** The intent could not be applied, after retries. */
  | { type: 'apply-failed'; error: string }
  /** The live weights read from the VirtualService. */
  | { type: 'weights'; weights: { stable: number; canary: number } };

export type MachineInput = ReleaseAction | ControllerInput;

function iso(ms: number) {
  return new Date(ms).toISOString();
}

function clone(record: ReleaseRecord): ReleaseRecord {
  return JSON.parse(JSON.stringify(record));
}

const RUNNING: ReleaseState[] = ['progressing', 'analysing', 'paused'];

/** Distinct, unexpired approvals of a gate. */
export function validApprovers(
  release: Release,
  gate: 'start' | number,
  now: number,
): string[] {
  const step = gate === 'start' ? undefined : gate;
  const by = new Set<string>();
  for (const a of release.approvals) {
    if (
      a.decision === 'approved' &&
      a.step === step &&
      Date.parse(a.expiresAt) > now
    ) {
      by.add(a.by);
    }
  }
  return [...by];
}

/** Approvals a gate needs: the release's count, and at least one for a step marked `approval`. */
function approvalsNeeded(release: Release, gate: 'start' | number) {
  return gate === 'start'
    ? release.requiredApprovals
    : Math.max(1, release.requiredApprovals);
}

class Transition {
  constructor(
    readonly record: ReleaseRecord,
    private readonly now: number,
    private readonly cause: string,
    private readonly by: string | undefined,
  ) {}

  get release() {
    return this.record.release;
  }

  get internal() {
    return this.record.internal;
  }

  /**
   * Moves to `to`. `reason` is the release's reason (why it paused, rolled
   * back, failed); `note` only goes into the history (e.g. the step entered).
   */
  setState(to: ReleaseState, reason?: string, note?: string) {
    const from = this.release.state;
    const changed = from !== to;
    this.release.state = to;
    if (reason !== undefined) this.release.reason = reason;
    const said = reason ?? note;
    if (changed || said !== undefined) {
      (this.release.history ??= []).push({
        at: iso(this.now),
        from: from ?? null,
        to,
        cause: this.cause,
        ...(this.by ? { by: this.by } : {}),
        step: this.release.currentStep,
        ...(said !== undefined ? { reason: said } : {}),
      });
    }
    if (isReleaseFinished(to)) {
      this.release.finishedAt = iso(this.now);
      this.internal.phase = 'done';
      delete this.internal.gate;
      delete this.internal.pauseUntil;
      delete this.internal.pausedBy;
    }
  }

  /** Starts applying step `i` (its approval, if any, is granted). */
  enterStep(i: number) {
    const step = this.release.steps[i];
    step.status = 'active';
    step.startedAt = iso(this.now);
    if (this.release.blueGreen && step.weight >= 100) {
      // The switch: all traffic to the new (green) version at once.
      this.release.blueGreen = {
        ...this.release.blueGreen,
        activeColor: 'green',
      };
    }
    delete step.finishedAt;
    this.release.currentStep = i;
    this.internal.phase = 'step';
    this.internal.touched = true;
    delete this.internal.gate;
    delete this.internal.pausedBy;
    delete this.internal.pauseUntil;
    delete this.internal.stepReadyAt;
    delete this.internal.analysisStartedAt;
    delete this.internal.lastAnalysisAt;
    this.setState(
      'progressing',
      undefined,
      `step ${i + 1} of ${this.release.steps.length}: ${step.weight} % to ${
        this.release.version
      }`,
    );
  }

  /** Step `i` waits for approval (or, when none is needed, starts). */
  gateOrEnter(i: number) {
    const step = this.release.steps[i];
    if (step.approval) {
      this.release.currentStep = i;
      this.internal.phase = 'step';
      this.internal.gate = i;
      delete this.internal.pausedBy;
      delete this.internal.pauseUntil;
      this.setState('awaiting-approval');
      if (
        validApprovers(this.release, i, this.now).length >=
        approvalsNeeded(this.release, i)
      ) {
        this.enterStep(i);
      }
      return;
    }
    this.enterStep(i);
  }

  finishStep(status: 'done' | 'skipped' = 'done') {
    const step = this.release.steps[this.release.currentStep];
    if (step.status === 'active' || step.status === 'pending') {
      step.status = status;
      step.finishedAt = iso(this.now);
    }
  }

  /** The current step is verified: pause if the plan says so, else go on. */
  stepVerified() {
    const step = this.release.steps[this.release.currentStep];
    if (step.pause && step.pause.seconds > 0) {
      this.internal.pausedBy = 'timer';
      this.internal.pauseUntil = this.now + step.pause.seconds * 1000;
      this.setState('paused');
      return;
    }
    this.advance();
  }

  /** Goes to the next step, or to the end of the plan. */
  advance() {
    this.finishStep('done');
    const next = this.release.currentStep + 1;
    if (next < this.release.steps.length) {
      this.gateOrEnter(next);
      return;
    }
    this.endOfPlan();
  }

  endOfPlan(config?: MachineConfig) {
    const { strategy } = this.release;
    delete this.internal.pausedBy;
    delete this.internal.pauseUntil;
    if (strategy === 'rolling') {
      this.internal.outcome = 'promoted';
      this.release.weights = { stable: 0, canary: 100 };
      this.setState('succeeded');
      return;
    }
    if (strategy === 'blue-green' && this.internal.phase !== 'warm') {
      this.internal.phase = 'warm';
      const warmMs = config?.warmMs ?? this.warmMs;
      this.release.blueGreen = {
        ...this.release.blueGreen!,
        activeColor: 'green',
        warmUntil: iso(this.now + warmMs),
      };
      this.setState(
        'progressing',
        undefined,
        `switched; ${this.release.stableVersion} kept warm until ${iso(
          this.now + warmMs,
        )}`,
      );
      return;
    }
    this.internal.phase = 'finalizing';
    this.internal.outcome = 'promoted';
    this.setState(
      'progressing',
      undefined,
      `${this.release.version} becomes the stable version; the old one is scaled down`,
    );
  }

  warmMs = 0;

  /** Traffic back to the stable version; the new one scaled down. */
  restore(to: 'rolled-back' | 'rejected' | 'failed', reason: string) {
    const step = this.release.steps[this.release.currentStep];
    if (step && step.status === 'active') {
      step.status =
        to === 'rolled-back' || to === 'failed' ? 'failed' : 'skipped';
      step.finishedAt = iso(this.now);
    }
    for (const s of this.release.steps) {
      if (s.status === 'pending') s.status = 'skipped';
    }
    this.internal.outcome = 'restored';
    this.release.weights = { stable: 100, canary: 0 };
    if (this.release.blueGreen) {
      this.release.blueGreen = {
        ...this.release.blueGreen,
        activeColor: 'blue',
      };
      delete this.release.blueGreen.warmUntil;
    }
    this.setState(to, reason);
  }
}

function assertNotFinished(release: Release, action: string) {
  if (isReleaseFinished(release.state)) {
    throw new ConflictError(
      `cannot ${action}: release ${release.id} is already ${release.state}`,
    );
  }
}

/**
 * Applies an input to a release and returns the next record (the input is
 * not modified). Person actions that do not fit the state throw
 * ConflictError (409), four-eyes violations NotAllowedError (403); the
 * controller's inputs never throw and return the record unchanged when they
 * do not apply.
 */
export function transition(
  record: ReleaseRecord,
  input: MachineInput,
  now: number,
  config: MachineConfig,
): ReleaseRecord {
  const by = 'by' in input ? input.by : undefined;
  const t = new Transition(
    clone(record),
    now,
    input.type === 'tick' ||
    input.type === 'observed' ||
    input.type === 'analysis' ||
    input.type === 'drift' ||
    input.type === 'apply-failed' ||
    input.type === 'weights'
      ? 'controller'
      : input.type,
    by,
  );
  t.warmMs = config.warmMs;
  const { release, internal } = t;
  release.updatedAt = iso(now);

  switch (input.type) {
    case 'approve':
    case 'reject': {
      assertNotFinished(release, input.type);
      if (input.by === release.requestedBy) {
        throw new NotAllowedError(
          `four-eyes: ${input.by} requested this release and cannot ${input.type} it; another team lead must`,
        );
      }
      if (
        release.state !== 'awaiting-approval' ||
        internal.gate === undefined
      ) {
        throw new ConflictError(
          `release ${release.id} is ${release.state}: there is nothing to ${input.type}`,
        );
      }
      const gate = internal.gate;
      const step = gate === 'start' ? undefined : gate;
      if (
        input.type === 'approve' &&
        validApprovers(release, gate, now).includes(input.by)
      ) {
        throw new ConflictError(`${input.by} has already approved this step`);
      }
      release.approvals.push({
        by: input.by,
        decision: input.type === 'approve' ? 'approved' : 'rejected',
        reason: input.reason,
        at: iso(now),
        expiresAt: iso(now + config.approvalTtlMs),
        ...(step !== undefined ? { step } : {}),
      });
      if (input.type === 'reject') {
        t.restore('rejected', `rejected by ${input.by}: ${input.reason}`);
        return t.record;
      }
      if (
        validApprovers(release, gate, now).length >=
        approvalsNeeded(release, gate)
      ) {
        t.enterStep(gate === 'start' ? 0 : gate);
      } else {
        // Recorded; still waiting for more approvals.
        (release.history ??= []).push({
          at: iso(now),
          from: release.state,
          to: release.state,
          cause: 'approve',
          by: input.by,
          step: release.currentStep,
          reason: `approved (${
            validApprovers(release, gate, now).length
          } of ${approvalsNeeded(release, gate)})`,
        });
      }
      return t.record;
    }

    case 'promote': {
      assertNotFinished(release, 'promote');
      if (release.state === 'awaiting-approval') {
        throw new ConflictError(
          'the release is waiting for approval; promoting cannot replace an approval',
        );
      }
      if (internal.pausedBy === 'drift') {
        throw new ConflictError(
          'the VirtualService was changed by hand (drift): resume to re-apply the release, or roll back',
        );
      }
      if (internal.phase === 'finalizing') {
        throw new ConflictError('the release is already being completed');
      }
      if (internal.phase === 'warm') {
        // Blue-green: end the warm window now.
        t.endOfPlan(config);
        return t.record;
      }
      const last = release.steps.length - 1;
      if (input.full && release.currentStep < last) {
        const skipped = release.steps.slice(release.currentStep + 1, last);
        const needsApproval =
          skipped.some(s => s.approval) || release.steps[last].approval;
        t.finishStep('done');
        for (const s of skipped) {
          s.status = 'skipped';
          s.finishedAt = iso(now);
        }
        if (needsApproval) {
          release.steps[last].approval = true;
        }
        t.gateOrEnter(last);
        return t.record;
      }
      t.advance();
      return t.record;
    }

    case 'pause': {
      assertNotFinished(release, 'pause');
      if (
        !RUNNING.includes(release.state) ||
        internal.phase === 'finalizing' ||
        internal.pausedBy === 'person'
      ) {
        throw new ConflictError(
          `release ${release.id} is ${release.state}${
            internal.pausedBy === 'person' ? ' (paused by a person)' : ''
          }: it cannot be paused now`,
        );
      }
      if (internal.pausedBy === 'drift' || internal.pausedBy === 'analysis') {
        throw new ConflictError(
          `release ${release.id} is already paused (${internal.pausedBy})`,
        );
      }
      internal.pausedBy = 'person';
      delete internal.pauseUntil;
      delete internal.analysisStartedAt;
      t.setState('paused', `paused by ${input.by}`);
      return t.record;
    }

    case 'resume': {
      assertNotFinished(release, 'resume');
      if (release.state !== 'paused' || internal.pausedBy === 'timer') {
        throw new ConflictError(
          `release ${release.id} is ${release.state}${
            internal.pausedBy === 'timer'
              ? ' (a timed pause: promote to skip it)'
              : ''
          }: there is nothing to resume`,
        );
      }
      const wasDrift = internal.pausedBy === 'drift';
      delete internal.pausedBy;
      delete internal.pauseUntil;
      if (wasDrift) {
        delete release.drift;
        internal.reapply += 1; // overwrite the hand edit, now with consent
      }
      if (internal.gate !== undefined) {
        t.setState('awaiting-approval', `resumed by ${input.by}`);
      } else if (internal.phase === 'warm') {
        t.setState('progressing', `resumed by ${input.by}`);
      } else {
        // Verify (and analyse) the current step again.
        delete internal.stepReadyAt;
        delete internal.analysisStartedAt;
        t.setState('progressing', `resumed by ${input.by}`);
      }
      return t.record;
    }

    case 'rollback': {
      assertNotFinished(release, 'roll back');
      t.restore('rolled-back', `rolled back by ${input.by}: ${input.reason}`);
      return t.record;
    }

    case 'switch-back': {
      assertNotFinished(release, 'switch back');
      if (release.strategy !== 'blue-green') {
        throw new InputError(
          `switch-back is for blue-green releases; this one is ${release.strategy}: use rollback`,
        );
      }
      if (release.blueGreen?.activeColor !== 'green') {
        throw new ConflictError(
          'traffic has not been switched to the new version yet: use rollback',
        );
      }
      t.restore('rolled-back', `switched back by ${input.by}: ${input.reason}`);
      return t.record;
    }

    case 'weights': {
      release.weights = input.weights;
      return t.record;
    }

    case 'apply-failed': {
      if (isReleaseFinished(release.state)) return record;
      t.restore('failed', `could not apply to the cluster: ${input.error}`);
      return t.record;
    }

    case 'drift': {
      if (isReleaseFinished(release.state) || internal.pausedBy === 'drift') {
        return record;
      }
      release.drift = { detectedAt: iso(now), details: input.details };
      internal.pausedBy = 'drift';
      delete internal.pauseUntil;
      t.setState('paused', 'drift');
      return t.record;
    }

    case 'observed': {
      if (isReleaseFinished(release.state)) return record;
      if (input.rolloutFailed && internal.phase !== 'start') {
        t.restore('rolled-back', `rollout failed: ${input.rolloutFailed}`);
        return t.record;
      }
      if (!input.ready) return record;
      if (internal.phase === 'finalizing') {
        if (release.strategy !== 'rolling') {
          release.weights = { stable: 0, canary: 100 };
        }
        t.setState('succeeded');
        return t.record;
      }
      if (
        internal.phase === 'step' &&
        release.state === 'progressing' &&
        internal.stepReadyAt === undefined
      ) {
        internal.stepReadyAt = now;
        const step = release.steps[release.currentStep];
        if (step.analysis) {
          internal.analysisStartedAt = now;
          t.setState('analysing');
          return t.record;
        }
        t.stepVerified();
        return t.record;
      }
      return record;
    }

    case 'analysis': {
      if (release.state !== 'analysing') return record;
      const { analysis } = input;
      release.analyses = [...release.analyses, analysis].slice(-100);
      internal.lastAnalysisAt = now;
      const failed = analysis.results.filter(r => r.pass === false);
      if (failed.length > 0) {
        t.restore(
          'rolled-back',
          `metric gate failed at step ${analysis.step + 1}: ${failed
            .map(
              r =>
                `${r.name} canary ${fmt(r.canary)} (stable ${fmt(
                  r.stable,
                )}) not ${r.threshold}`,
            )
            .join('; ')}`,
        );
        return t.record;
      }
      if (analysis.results.every(r => r.pass === true)) {
        t.stepVerified();
        return t.record;
      }
      if (
        now - (internal.analysisStartedAt ?? now) >=
        config.analysisTimeoutMs
      ) {
        const missing = analysis.results
          .filter(r => r.pass === null)
          .map(r => r.name);
        internal.pausedBy = 'analysis';
        t.setState(
          'paused',
          `analysis inconclusive: no data for ${missing.join(
            ', ',
          )}; promote or roll back`,
        );
      }
      return t.record;
    }

    case 'tick': {
      if (isReleaseFinished(release.state)) return record;
      if (
        release.state === 'paused' &&
        internal.pausedBy === 'timer' &&
        internal.pauseUntil !== undefined &&
        now >= internal.pauseUntil
      ) {
        delete internal.pausedBy;
        delete internal.pauseUntil;
        t.advance();
        return t.record;
      }
      if (
        internal.phase === 'warm' &&
        release.state === 'progressing' &&
        release.blueGreen?.warmUntil &&
        now >= Date.parse(release.blueGreen.warmUntil)
      ) {
        t.endOfPlan(config);
        return t.record;
      }
      return record;
    }
    default:
      return record;
  }
}

function fmt(value: number | null) {
  if (value === null) return 'no data';
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

/** The weight the cluster should carry now: the last step applied (active or done). */
export function appliedWeight(record: ReleaseRecord): number {
  const { release, internal } = record;
  if (internal.outcome === 'restored') return 0;
  if (internal.outcome === 'promoted' || internal.phase === 'warm') return 100;
  let weight = 0;
  for (const s of release.steps) {
    if (s.status === 'active' || s.status === 'done') weight = s.weight;
  }
  return weight;
}

/**
 * What the cluster should look like for a release (null: leave it alone,
 * nothing of this release was ever applied). Pure.
 */
export function desiredState(record: ReleaseRecord): ReleaseIntent | null {
  const { release, internal } = record;
  if (!internal.touched) return null;
  const base = {
    releaseId: release.id,
    strategy: release.strategy,
    namespace: release.namespace,
    workload: release.workload,
    host: release.workload,
    reapply: internal.reapply,
  };
  const R = internal.stableReplicas;
  if (release.strategy === 'rolling') {
    const image =
      internal.outcome === 'restored' ? internal.previousImage : release.image;
    return {
      ...base,
      deployments: [
        // A rolling release changes the image only: it creates no
        // Deployment, so the scheduling profile is not applied (a required
        // anti-affinity between old and new pods of the same labels could
        // block the rollout).
        {
          name: internal.stableDeployment,
          replicas: R,
          image: { container: internal.container, image },
        },
      ],
    };
  }
  const newName = internal.newDeployment!;
  const stableVersion = release.stableVersion!;
  const template = {
    from: internal.stableDeployment,
    version: release.version,
    releaseId: release.id,
    ...(internal.profile ? { profile: internal.profile } : {}),
  };
  const newDeployment = (replicas: number): DeploymentIntent => ({
    name: newName,
    replicas,
    image: { container: internal.container, image: release.image },
    template,
  });
  const preview =
    release.strategy === 'blue-green'
      ? { name: release.blueGreen!.previewService, version: release.version }
      : undefined;

  if (internal.outcome === 'promoted' && internal.phase !== 'warm') {
    // The new version becomes the stable subset; the old one is scaled down.
    const subsets: SubsetName[] = ['stable'];
    return {
      ...base,
      deployments: [
        newDeployment(R),
        { name: internal.stableDeployment, replicas: 0 },
      ],
      subsets: { stable: release.version },
      http: buildHttpRoutes({ host: base.host, subsets, canaryWeight: 0 }),
      ...(preview ? { previewService: null } : {}),
    };
  }
  if (internal.outcome === 'restored') {
    const subsets: SubsetName[] = ['stable'];
    return {
      ...base,
      deployments: [
        { name: internal.stableDeployment, replicas: R },
        newDeployment(0),
      ],
      subsets: { stable: stableVersion },
      http: buildHttpRoutes({ host: base.host, subsets, canaryWeight: 0 }),
      ...(preview ? { previewService: null } : {}),
    };
  }
  const weight = appliedWeight(record);
  const subsets: SubsetName[] = ['stable', 'canary'];
  const replicas =
    release.strategy === 'blue-green' ? R : canaryReplicas(R, weight);
  return {
    ...base,
    deployments: [
      { name: internal.stableDeployment, replicas: R },
      newDeployment(replicas),
    ],
    subsets: { stable: stableVersion, canary: release.version },
    http: buildHttpRoutes({
      host: base.host,
      subsets,
      canaryWeight: weight,
      routing: release.strategy === 'canary' ? release.routing : undefined,
    }),
    ...(preview ? { previewService: preview } : {}),
  };
}

/** The weights an intent routes (what the traffic bar shows once it is applied). */
export function intentWeights(record: ReleaseRecord): {
  stable: number;
  canary: number;
} {
  if (record.release.strategy === 'rolling') {
    return record.internal.outcome === 'promoted'
      ? { stable: 0, canary: 100 }
      : record.release.weights;
  }
  if (
    record.internal.outcome === 'promoted' &&
    record.internal.phase !== 'warm'
  ) {
    return { stable: 0, canary: 100 };
  }
  const w = appliedWeight(record);
  return { stable: 100 - w, canary: w };
}

/**
 * The first transition of a new release: wait for the start approval when
 * the service needs approvals, else start the first step (or wait for its
 * own approval).
 */
export function startRelease(
  record: ReleaseRecord,
  now: number,
  config: MachineConfig,
): ReleaseRecord {
  const t = new Transition(
    clone(record),
    now,
    'create',
    record.release.requestedBy,
  );
  t.warmMs = config.warmMs;
  if (record.release.requiredApprovals > 0) {
    t.internal.phase = 'start';
    t.internal.gate = 'start';
    t.setState('awaiting-approval');
    return t.record;
  }
  t.gateOrEnter(0);
  return t.record;
}
