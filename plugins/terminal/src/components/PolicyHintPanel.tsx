import { FormEvent, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { CommandDecision } from '@fincloud/plugin-terminal-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { terminalApiRef } from '../api';
import { errorMessage } from './errors';
import { DecisionLine } from './DecisionLine';

/**
 * What restricted mode allows on this service (`GET …/policy`), and a box to
 * check a command line without running it (`POST …/check`).
 */
export function PolicyHintPanel(props: { entityRef: string }) {
  const api = useApi(terminalApiRef);
  const policy = useAsync(
    () => api.getPolicy(props.entityRef),
    [api, props.entityRef],
  );
  const [line, setLine] = useState('');
  const [checked, setChecked] = useState<{
    line: string;
    decision?: CommandDecision;
    error?: Error;
  }>();

  const check = async (event: FormEvent) => {
    event.preventDefault();
    const value = line.trim();
    if (!value) return;
    try {
      setChecked({
        line: value,
        decision: await api.checkLine(props.entityRef, value),
      });
    } catch (error) {
      setChecked({ line: value, error: error as Error });
    }
  };

  return (
    <InfoCard
      title="What you can run"
      subheader="Restricted mode runs one allowed command per line, never through a shell."
    >
      {policy.loading && <Progress />}
      {policy.error && (
        <ResponseErrorPanel
          title="Could not load the command policy"
          error={policy.error}
        />
      )}
      {policy.value && (
        <>
          <List
            dense
            disablePadding
            aria-label="Allowed commands"
            style={{ maxHeight: 420, overflowY: 'auto' }}
          >
            {policy.value.allowed.map(item => (
              <ListItem
                key={`${item.command} ${item.args ?? ''}`}
                disableGutters
              >
                <ListItemText
                  primary={
                    <Box
                      component="code"
                      fontFamily="monospace"
                      display="block"
                      style={{ overflowWrap: 'anywhere', whiteSpace: 'normal' }}
                    >
                      {item.command}
                      {item.args ? ` ${item.args}` : ''}
                    </Box>
                  }
                  secondary={item.description}
                />
              </ListItem>
            ))}
          </List>
          {policy.value.notes.length > 0 && (
            <Box mt={1} component="ul" pl={2} aria-label="Policy notes">
              {policy.value.notes.map(note => (
                <Typography key={note} component="li" variant="body2">
                  {note}
                </Typography>
              ))}
            </Box>
          )}
        </>
      )}
      <Box
        component="form"
        onSubmit={check}
        mt={2}
        display="flex"
        alignItems="center"
        style={{ gap: 8 }}
      >
        <TextField
          id="terminal-check-line"
          label="Check a command"
          placeholder="e.g. cat /etc/hosts"
          value={line}
          onChange={e => setLine(e.target.value)}
          size="small"
          variant="outlined"
          fullWidth
          inputProps={{ spellCheck: false, autoComplete: 'off' }}
        />
        <Button type="submit" variant="outlined" disabled={!line.trim()}>
          Check
        </Button>
      </Box>
      {checked && (
        <Box mt={1} aria-live="polite">
          {checked.decision && (
            <DecisionLine line={checked.line} decision={checked.decision} />
          )}
          {checked.error && (
            <Typography color="error" variant="body2">
              Could not check: {errorMessage(checked.error)}
            </Typography>
          )}
        </Box>
      )}
    </InfoCard>
  );
}
