import { useEffect, useState } from 'react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { formatClock } from '../terminal/asciicast';

const useStyles = makeStyles(theme => ({
  rec: {
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.75),
    padding: theme.spacing(0.25, 1),
    borderRadius: 12,
    border: `1px solid ${theme.palette.error.main}`,
    color: theme.palette.error.main,
    fontWeight: 600,
    fontSize: '0.8rem',
  },
  dot: {
    width: 10,
    height: 10,
    borderRadius: '50%',
    backgroundColor: theme.palette.error.main,
    animation: '$pulse 1.5s ease-in-out infinite',
  },
  '@keyframes pulse': {
    '0%, 100%': { opacity: 1 },
    '50%': { opacity: 0.3 },
  },
  countdown: { fontVariantNumeric: 'tabular-nums', fontWeight: 600 },
  ending: { color: theme.palette.error.main },
}));

/** The red "Recording" badge of a break-glass shell. */
export function RecordingIndicator() {
  const classes = useStyles();
  return (
    <Box
      className={classes.rec}
      role="status"
      aria-label="Recording"
      title="Everything typed and shown in this session is recorded and audited"
    >
      <span className={classes.dot} aria-hidden />
      REC · Recording input and output
    </Box>
  );
}

/** Time left in the session's time box, updated every second. */
export function TimeBoxCountdown(props: {
  expiresAt: string;
  now?: () => number;
}) {
  const classes = useStyles();
  const now = props.now ?? Date.now;
  const end = Date.parse(props.expiresAt);
  const [left, setLeft] = useState(() => end - now());
  useEffect(() => {
    const timer = setInterval(() => setLeft(end - now()), 1000);
    return () => clearInterval(timer);
  }, [end, now]);
  if (Number.isNaN(end)) return null;
  const seconds = Math.max(0, left / 1000);
  return (
    <Typography
      variant="body2"
      component="span"
      role="timer"
      aria-label="Time left in the time box"
      className={`${classes.countdown} ${seconds < 60 ? classes.ending : ''}`}
    >
      Time box: {formatClock(seconds)} left
    </Typography>
  );
}
