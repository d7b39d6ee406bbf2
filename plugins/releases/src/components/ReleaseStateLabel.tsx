import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { ReleaseState } from '@fincloud/plugin-releases-common';
import { STATE_LABELS } from './format';

/** A release's state as a status dot and a word, the way core-components shows status. */
export function ReleaseStateLabel(props: { state: ReleaseState }) {
  const label = STATE_LABELS[props.state] ?? props.state;
  switch (props.state) {
    case 'succeeded':
      return <StatusOK>{label}</StatusOK>;
    case 'rolled-back':
      return <StatusWarning>{label}</StatusWarning>;
    case 'failed':
      return <StatusError>{label}</StatusError>;
    case 'rejected':
      return <StatusAborted>{label}</StatusAborted>;
    case 'progressing':
    case 'analysing':
      return <StatusRunning>{label}</StatusRunning>;
    default:
      return <StatusPending>{label}</StatusPending>;
  }
}
