import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
} from '@backstage/core-components';
import { BuildStatus } from '@fincloud/plugin-builds-common';
import { BUILD_STATUS_LABELS } from './format';

/** A build's (or a step's) status with Backstage's status colours. */
export function BuildStatusChip(props: { status: BuildStatus | 'skipped' }) {
  const { status } = props;
  switch (status) {
    case 'succeeded':
      return <StatusOK>{BUILD_STATUS_LABELS.succeeded}</StatusOK>;
    case 'failed':
      return <StatusError>{BUILD_STATUS_LABELS.failed}</StatusError>;
    case 'running':
      return <StatusRunning>{BUILD_STATUS_LABELS.running}</StatusRunning>;
    case 'queued':
      return <StatusPending>{BUILD_STATUS_LABELS.queued}</StatusPending>;
    case 'cancelled':
      return <StatusAborted>{BUILD_STATUS_LABELS.cancelled}</StatusAborted>;
    case 'skipped':
    default:
      return <StatusAborted>Skipped</StatusAborted>;
  }
}
