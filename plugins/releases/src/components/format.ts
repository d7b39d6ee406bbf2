import { parseEntityRef } from '@backstage/catalog-model';
import {
  Release,
  ReleaseState,
  Strategy,
} from '@fincloud/plugin-releases-common';

/** `2026-11-29 10:34 UTC`: one zone for everybody reading an approval trail. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `4 min 12 s`, `1 h 3 min`, `12 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return `${d} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** How long a release ran (until now when it still runs). */
export function releaseDuration(release: Release, now = Date.now()): string {
  const start = Date.parse(release.createdAt);
  const end = release.finishedAt ? Date.parse(release.finishedAt) : now;
  return formatDuration(end - start);
}

/** `pete` for `user:default/pete`; other namespaces and kinds stay visible. */
export function formatUser(ref: string | undefined): string {
  if (!ref) return '—';
  try {
    const { kind, namespace, name } = parseEntityRef(ref, {
      defaultKind: 'user',
      defaultNamespace: 'default',
    });
    if (kind.toLocaleLowerCase('en-US') !== 'user') return ref;
    return namespace === 'default' ? name : `${namespace}/${name}`;
  } catch {
    return ref;
  }
}

export const STATE_LABELS: Record<ReleaseState, string> = {
  'awaiting-approval': 'Awaiting approval',
  progressing: 'Progressing',
  paused: 'Paused',
  analysing: 'Analysing',
  succeeded: 'Succeeded',
  'rolled-back': 'Rolled back',
  rejected: 'Rejected',
  failed: 'Failed',
};

export const STRATEGY_LABELS: Record<Strategy, string> = {
  rolling: 'Rolling',
  canary: 'Canary',
  'blue-green': 'Blue-green',
};

/** States in which a person can still act on the release. */
export const ACTIVE_STATES: readonly ReleaseState[] = [
  'awaiting-approval',
  'progressing',
  'paused',
  'analysing',
];

export function isActive(state: ReleaseState): boolean {
  return ACTIVE_STATES.includes(state);
}

/** The approvals that still count: approved and not expired. */
export function validApprovals(release: Release, now = Date.now()) {
  return release.approvals.filter(
    a =>
      a.decision === 'approved' &&
      Date.parse(a.expiresAt) > now &&
      (a.step === undefined || a.step === release.currentStep),
  );
}
