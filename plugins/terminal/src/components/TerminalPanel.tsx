import { useCallback, useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  terminalExecPermission,
  terminalShellPermission,
} from '@fincloud/plugin-terminal-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import LockOpenIcon from '@material-ui/icons/LockOpen';
import { SessionTarget, terminalApiRef } from '../api';
import { BreakGlassDialog } from './BreakGlassDialog';
import { LiveTerminal } from './LiveTerminal';
import { PolicyHintPanel } from './PolicyHintPanel';
import {
  DEBUG_CONTAINER,
  selectedTarget,
  TargetPicker,
  TargetSelection,
} from './TargetPicker';

function toTarget(
  entityRef: string,
  namespace: string,
  selection: TargetSelection,
  mode: SessionTarget['mode'],
  firstContainer: string,
): SessionTarget {
  const debug = selection.container === DEBUG_CONTAINER;
  return {
    entityRef,
    cluster: selection.cluster,
    namespace,
    pod: selection.pod,
    container: debug ? firstContainer : selection.container,
    mode,
    debug,
  };
}

/**
 * The Terminal tab's main view: choose cluster, pod and container, then open
 * a restricted terminal — or, for those `terminal.shell` allows, a
 * break-glass shell after writing a justification.
 */
export function TerminalPanel(props: { entityRef: string }) {
  const { entityRef } = props;
  const api = useApi(terminalApiRef);
  const exec = usePermission({
    permission: terminalExecPermission,
    resourceRef: entityRef,
  });
  const shellAllowed = usePermission({
    permission: terminalShellPermission,
    resourceRef: entityRef,
  });
  const targets = useAsyncRetry(
    async () => (exec.allowed ? api.getTargets(entityRef) : []),
    [api, entityRef, exec.allowed],
  );
  const [selection, setSelection] = useState<TargetSelection>();
  const [session, setSession] = useState<{
    target: SessionTarget;
    justification?: string;
    key: number;
  }>();
  const [askJustification, setAskJustification] = useState(false);
  const onChange = useCallback((s: TargetSelection) => setSelection(s), []);

  if (exec.loading) return <Progress />;
  if (!exec.allowed) {
    return (
      <EmptyState
        missing="info"
        title="You may not open a terminal on this service"
        description="Terminals into a service's pods are open to its developers, their team leads and the platform team. Past sessions are under Sessions for those who may read them."
        action={
          <Button variant="outlined" component={RouterLink} to="sessions">
            Sessions
          </Button>
        }
      />
    );
  }

  const pods = targets.value ?? [];
  const pod = selectedTarget(pods, selection);
  const where = pod
    ? `${pod.cluster} / ${pod.namespace} / ${pod.pod} / ${
        selection?.container === DEBUG_CONTAINER
          ? 'ephemeral debug container'
          : selection?.container
      }`
    : '';
  const openSession = (mode: SessionTarget['mode'], justification?: string) => {
    if (!pod || !selection) return;
    setSession({
      target: toTarget(
        entityRef,
        pod.namespace,
        selection,
        mode,
        pod.containers[0] ?? '',
      ),
      justification,
      key: Date.now(),
    });
  };

  let picker: JSX.Element;
  if (targets.loading && !targets.value) {
    picker = <Progress />;
  } else if (targets.error) {
    picker = (
      <ResponseErrorPanel
        title="Could not list the service's pods"
        error={targets.error}
      />
    );
  } else if (pods.length === 0) {
    picker = (
      <EmptyState
        missing="data"
        title="No pods to open a terminal in"
        description="The service has no pods in its clusters right now."
        action={
          <Button variant="outlined" onClick={targets.retry}>
            Look again
          </Button>
        }
      />
    );
  } else {
    picker = (
      <>
        <TargetPicker
          targets={pods}
          value={selection}
          onChange={onChange}
          disabled={Boolean(session)}
        />
        {!session && (
          <Box mt={2} display="flex" flexWrap="wrap" style={{ gap: 12 }}>
            <Button
              variant="contained"
              color="primary"
              disabled={!pod}
              onClick={() => openSession('restricted')}
            >
              Open terminal
            </Button>
            {shellAllowed.allowed && (
              <Button
                variant="outlined"
                color="secondary"
                startIcon={<LockOpenIcon />}
                disabled={!pod}
                onClick={() => setAskJustification(true)}
              >
                Break-glass shell
              </Button>
            )}
          </Box>
        )}
      </>
    );
  }

  return (
    <Grid container spacing={3}>
      <Grid item xs={12} lg={8}>
        <InfoCard title="Terminal">
          {picker}
          {session && (
            <Box mt={2}>
              <LiveTerminal
                key={session.key}
                target={session.target}
                justification={session.justification}
                onLeave={() => setSession(undefined)}
                onReconnectShell={() => setAskJustification(true)}
              />
            </Box>
          )}
          {!session && pods.length > 0 && (
            <Box mt={2}>
              <Typography variant="body2" color="textSecondary">
                Every command and its result is audited. Restricted mode runs
                allowed commands only, one per line, never through a shell.
              </Typography>
            </Box>
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12} lg={4}>
        <PolicyHintPanel entityRef={entityRef} />
      </Grid>
      {askJustification && (
        <BreakGlassDialog
          open
          where={where}
          initial={session?.justification}
          onCancel={() => setAskJustification(false)}
          onConfirm={justification => {
            setAskJustification(false);
            openSession('shell', justification);
          }}
        />
      )}
    </Grid>
  );
}
