/**
 * Every audit event of the releases plugin (`coreServices.auditor`), with
 * the severity it is recorded at. `high` events are written before the
 * action runs and refuse it (503) when the audit trail cannot record them.
 */
export const RELEASE_EVENTS = {
  /** A release was started (medium). */
  create: 'release-create',
  /** A release was started inside a change freeze, with a justification (high). */
  breakGlass: 'release-break-glass',
  /** A team lead approved a release or one of its steps (medium). */
  approve: 'release-approve',
  /** A team lead rejected a release (medium). */
  reject: 'release-reject',
  /** Traffic moved on by a person: next step or full (high). */
  promote: 'release-promote',
  /** A person paused a release (medium). */
  pause: 'release-pause',
  /** A person resumed a release (medium). */
  resume: 'release-resume',
  /** A person rolled a release back (high). */
  rollback: 'release-rollback',
  /** A person switched a blue-green release back (high). */
  switchBack: 'release-switch-back',
  /** The controller moved a release to another state (medium). */
  transition: 'release-transition',
  /** The controller rolled a release back: failed metric gate or rollout (medium, never refused). */
  autoRollback: 'release-auto-rollback',
  /** A traffic policy was proposed (medium). */
  policyPropose: 'traffic-policy-propose',
  /** A team lead approved a traffic policy; applied to the cluster when approvals are met (high). */
  policyApprove: 'traffic-policy-approve',
  /** A traffic policy was reverted to the previous one (high). */
  policyRevert: 'traffic-policy-revert',
} as const;
