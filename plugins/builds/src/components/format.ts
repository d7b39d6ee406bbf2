import { BuildStatus, BuildType } from '@fincloud/plugin-builds-common';

/** `65_000` → `1 min 05 s`; undefined/null → `—`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) {
    return '—';
  }
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return hours > 0
    ? `${hours} h ${pad(minutes)} min`
    : `${minutes} min ${pad(seconds)} s`;
}

/** Milliseconds between two ISO times, or from `start` until `now` while running. */
export function elapsedMs(
  start: string | undefined,
  end: string | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!start) return undefined;
  const from = Date.parse(start);
  const to = end ? Date.parse(end) : now;
  return Number.isFinite(from) && Number.isFinite(to)
    ? Math.max(0, to - from)
    : undefined;
}

/** `2026-11-29T10:34:12.345Z` → `2026-11-29 10:34:12 UTC`. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function shortCommit(commit: string | undefined): string | undefined {
  return commit ? commit.slice(0, 7) : undefined;
}

/** `sha256:0123…` → `sha256:0123456789ab` (12 hex digits, as `docker images` shows). */
export function shortDigest(digest: string | undefined): string | undefined {
  if (!digest) return undefined;
  const [algorithm, hex] = digest.includes(':')
    ? digest.split(':', 2)
    : ['sha256', digest];
  return `${algorithm}:${hex.slice(0, 12)}`;
}

export const BUILD_TYPE_LABELS: Record<BuildType, string> = {
  generic: 'Generic',
  'compile-then-build': 'Compile then build',
  'in-repo-dockerfile': 'In-repo Dockerfile',
  'custom-dockerfile': 'Custom Dockerfile',
};

export const BUILD_TYPE_HELP: Record<BuildType, string> = {
  generic:
    "The platform's standard one-stage Dockerfile for the service's language.",
  'compile-then-build':
    'Multi-stage: a builder stage with the toolchain, a slim runtime stage with only the artifact.',
  'in-repo-dockerfile': "The repository's own Dockerfile.",
  'custom-dockerfile':
    'A Dockerfile your team writes here, stored with its history.',
};

export const BUILD_STATUS_LABELS: Record<BuildStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** `pete` → `user:default/pete`; full refs are kept as they are. */
export function toUserRef(value: string): string {
  const trimmed = value.trim();
  if (!trimmed) return trimmed;
  if (/^[a-z]+:/i.test(trimmed)) return trimmed;
  return trimmed.includes('/') ? `user:${trimmed}` : `user:default/${trimmed}`;
}

/** `2026-11-29T10:00:00.000Z` → the value a `datetime-local` input shows (local time). */
export function isoToLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** The value of a `datetime-local` input (local time) → ISO (UTC). */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A commit as git accepts it in the portal: 7 to 40 hex digits. */
export function isValidCommit(value: string): boolean {
  return /^[0-9a-f]{7,40}$/i.test(value);
}

/**
 * A branch name as `git check-ref-format --branch` accepts it (the common
 * rules): no spaces, `..`, `~^:?*[\`, control characters, leading `-` or `/`,
 * trailing `/`, `.` or `.lock`, `@{`, or `//`.
 */
export function branchProblem(value: string): string | undefined {
  const branch = value.trim();
  if (!branch) return 'A branch is required';
  if (branch.length > 200) return 'At most 200 characters';
  if (
    // eslint-disable-next-line no-control-regex
    /[\s~^:?*[\\\x00-\x1f\x7f]/.test(branch) ||
    branch.includes('..') ||
    branch.includes('@{') ||
    branch.includes('//') ||
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.') ||
    branch.endsWith('.lock') ||
    branch === '@'
  ) {
    return 'Not a valid git branch name';
  }
  return undefined;
}
