import { CommandDecision } from '@fincloud/plugin-terminal-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { StatusError, StatusOK } from '@backstage/core-components';

/**
 * One verdict in words: "Allowed: `ls -l` (rule allowed:ls)" or
 * "Not allowed: `rm -rf /` — refused by rule binary-not-allowed:rm. <why>".
 */
export function DecisionLine(props: {
  line: string;
  decision: CommandDecision;
  /** Inside an alert that already shows an icon: the verdict in words only. */
  plain?: boolean;
}) {
  const { line, decision, plain } = props;
  const verdict = decision.allowed ? 'Allowed:' : 'Not allowed:';
  return (
    <Box
      display="flex"
      alignItems="baseline"
      flexWrap="wrap"
      style={{ gap: 4 }}
    >
      {plain && <strong>{verdict}</strong>}
      {!plain && decision.allowed && <StatusOK>{verdict}</StatusOK>}
      {!plain && !decision.allowed && <StatusError>{verdict}</StatusError>}
      <Box component="code" fontFamily="monospace">
        {line}
      </Box>
      <Typography variant="body2" component="span">
        {decision.allowed ? '(rule ' : '— refused by rule '}
        <Box component="code" fontFamily="monospace" fontWeight="bold">
          {decision.rule}
        </Box>
        {decision.allowed ? ')' : '.'}
        {decision.message ? ` ${decision.message}` : ''}
      </Typography>
    </Box>
  );
}
