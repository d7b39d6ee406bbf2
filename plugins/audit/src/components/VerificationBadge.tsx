import { useCallback, useEffect, useState } from 'react';
import {
  Progress,
  StatusError,
  StatusOK,
  StatusWarning,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { AuditVerifyResult } from '@fincloud/plugin-audit-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import { auditApiRef } from '../api';
import { formatTime } from './format';

function checkpointText(result: AuditVerifyResult) {
  const cp = result.lastCheckpoint;
  if (!cp) return 'no signed checkpoint yet';
  return `last checkpoint #${cp.seq} at ${formatTime(cp.at)}${
    cp.valid ? '' : ' (signature INVALID)'
  }`;
}

/**
 * The chain's state, from `GET /api/audit/verify`: OK with how many records
 * were checked and the last signed checkpoint, or BROKEN at the first bad
 * record with the reason.
 */
export function VerificationBadge() {
  const api = useApi(auditApiRef);
  const [state, setState] = useState<{
    loading: boolean;
    result?: AuditVerifyResult;
    error?: Error;
  }>({ loading: true });

  const run = useCallback(() => {
    setState({ loading: true });
    api.verify().then(
      result => setState({ loading: false, result }),
      error => setState({ loading: false, error }),
    );
  }, [api]);
  useEffect(run, [run]);

  let body;
  if (state.loading) {
    body = (
      <Box display="flex" alignItems="center">
        <Box width={120} mr={1}>
          <Progress />
        </Box>
        <Typography variant="body2">Verifying the audit chain…</Typography>
      </Box>
    );
  } else if (state.error) {
    body = (
      <StatusWarning>
        Could not verify the chain: {state.error.message}
      </StatusWarning>
    );
  } else if (state.result) {
    const { result } = state;
    const broken =
      !result.ok ||
      result.firstBroken ||
      result.lastCheckpoint?.valid === false;
    body = broken ? (
      <StatusError>
        <strong>Chain BROKEN</strong>
        {result.firstBroken
          ? ` at seq ${result.firstBroken.seq}: ${result.firstBroken.reason}`
          : ''}
        {' · '}
        {checkpointText(result)}
      </StatusError>
    ) : (
      <StatusOK>
        <strong>Chain OK</strong> · {result.checked.toLocaleString('en-US')}{' '}
        records verified · {checkpointText(result)}
      </StatusOK>
    );
  }

  return (
    <Paper
      variant="outlined"
      role="status"
      aria-label="Audit chain verification"
    >
      <Box display="flex" alignItems="center" px={2} py={1}>
        <Box flexGrow={1}>{body}</Box>
        <Button size="small" onClick={run} disabled={state.loading}>
          Verify again
        </Button>
      </Box>
    </Paper>
  );
}
