import { useParams, Link as RouterLink } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { SessionSummary } from '@fincloud/plugin-terminal-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import ArrowBackIcon from '@material-ui/icons/ArrowBack';
import { terminalApiRef } from '../api';
import { CommandLogTable } from './CommandLogTable';
import {
  formatBytes,
  formatTarget,
  formatTime,
  sessionDuration,
  shortUser,
} from './format';
import { ReplayPlayer } from './ReplayPlayer';
import { ModeChip, StatusChip } from './SessionsPanel';
import { TerminateButton } from './TerminateButton';

function Field(props: { label: string; children: React.ReactNode }) {
  return (
    <Box mb={1}>
      <Typography variant="caption" color="textSecondary" component="dt">
        {props.label}
      </Typography>
      <Typography variant="body2" component="dd" style={{ margin: 0 }}>
        {props.children}
      </Typography>
    </Box>
  );
}

function Summary(props: {
  session: SessionSummary;
  onTerminated(session: SessionSummary): void;
}) {
  const { session } = props;
  return (
    <InfoCard
      title={`Session ${session.id}`}
      action={
        <Box mt={1} mr={1}>
          <TerminateButton
            session={session}
            onTerminated={props.onTerminated}
          />
        </Box>
      }
    >
      <Box component="dl" aria-label="Session summary" m={0}>
        <Field label="Service">
          <EntityRefLink entityRef={session.entityRef} />
        </Field>
        <Field label="User">{shortUser(session.user)}</Field>
        <Field label="Mode">
          <ModeChip session={session} />
        </Field>
        <Field label="Target">{formatTarget(session)}</Field>
        {session.justification && (
          <Field label="Justification">{session.justification}</Field>
        )}
        {session.approvedBy && (
          <Field label="Approved by">{shortUser(session.approvedBy)}</Field>
        )}
        <Field label="Started">{formatTime(session.startedAt)}</Field>
        {session.endedAt && (
          <Field label="Ended">{formatTime(session.endedAt)}</Field>
        )}
        <Field label="Duration">{sessionDuration(session)}</Field>
        <Field label="Status">
          <StatusChip session={session} />
        </Field>
        <Field label="Commands run / refused">
          {session.commands} / {session.refused}
        </Field>
        <Field label="Output">{formatBytes(session.bytesOut)}</Field>
      </Box>
    </InfoCard>
  );
}

/**
 * One session: its summary, the replay of its recording and its command
 * log. Mounted under a route with a `:sessionId` parameter.
 */
export function SessionDetails() {
  const { sessionId = '' } = useParams();
  const api = useApi(terminalApiRef);
  const session = useAsyncRetry(
    () => api.getSession(sessionId),
    [api, sessionId],
  );

  const back = (
    <Box mb={2}>
      <Button
        component={RouterLink}
        to=".."
        relative="path"
        startIcon={<ArrowBackIcon />}
      >
        All sessions
      </Button>
    </Box>
  );
  if (session.loading && !session.value) return <Progress />;
  if (session.error || !session.value) {
    return (
      <>
        {back}
        <ResponseErrorPanel
          title="Could not load the session"
          error={session.error ?? new Error('No such session')}
        />
      </>
    );
  }
  const value = session.value;
  return (
    <>
      {back}
      <Grid container spacing={3}>
        <Grid item xs={12} lg={4}>
          <Summary session={value} onTerminated={() => session.retry()} />
        </Grid>
        <Grid item xs={12} lg={8}>
          <InfoCard title="Replay">
            {value.hasRecording ? (
              <ReplayPlayer sessionId={value.id} />
            ) : (
              <Typography variant="body2">
                {value.mode === 'restricted'
                  ? 'Restricted sessions are audited command by command: see the command log.'
                  : 'This session has no recording.'}
              </Typography>
            )}
          </InfoCard>
          {(value.mode === 'restricted' ||
            value.commands + value.refused > 0) && (
            <Box mt={3}>
              <InfoCard title="Command log">
                <CommandLogTable sessionId={value.id} />
              </InfoCard>
            </Box>
          )}
        </Grid>
      </Grid>
    </>
  );
}
