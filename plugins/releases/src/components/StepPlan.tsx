import { ReleaseStep } from '@fincloud/plugin-releases-common';
import Box from '@material-ui/core/Box';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import CheckIcon from '@material-ui/icons/Check';
import CloseIcon from '@material-ui/icons/Close';
import HowToRegIcon from '@material-ui/icons/HowToReg';
import TimerIcon from '@material-ui/icons/Timer';
import TimelineIcon from '@material-ui/icons/Timeline';
import { formatDuration } from './format';

const useStyles = makeStyles(theme => ({
  list: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
    listStyle: 'none',
    padding: 0,
    margin: 0,
  },
  step: {
    minWidth: 110,
    padding: theme.spacing(0.75, 1.25),
    borderRadius: theme.shape.borderRadius,
    border: `1px solid ${theme.palette.divider}`,
    color: theme.palette.text.secondary,
  },
  done: {
    borderColor: theme.palette.success.main,
    color: theme.palette.text.primary,
  },
  active: {
    borderColor: theme.palette.primary.main,
    borderWidth: 2,
    color: theme.palette.text.primary,
    background: theme.palette.action.hover,
  },
  failed: {
    borderColor: theme.palette.error.main,
    color: theme.palette.error.main,
  },
  skipped: { textDecoration: 'line-through' },
  waiting: {
    borderColor: theme.palette.warning.main,
    borderWidth: 2,
    borderStyle: 'dashed',
    color: theme.palette.text.primary,
  },
  icon: { fontSize: 16, verticalAlign: 'text-bottom', marginRight: 2 },
}));

const STATUS_WORDS: Record<ReleaseStep['status'], string> = {
  pending: 'pending',
  active: 'current',
  done: 'done',
  skipped: 'skipped',
  failed: 'failed',
};

/** What a step does, in words: `20 % · pause 30 s · approval · analysis`. */
export function describeStep(
  step: Pick<ReleaseStep, 'weight' | 'pause' | 'approval' | 'analysis'>,
) {
  return [
    `${step.weight} %`,
    step.pause
      ? `pause ${formatDuration(step.pause.seconds * 1000)}`
      : undefined,
    step.approval ? 'approval' : undefined,
    step.analysis ? 'analysis' : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * The plan, step by step, with the current step marked; `waitingStep` is the
 * step held for a team lead's approval.
 */
export function StepPlan(props: {
  steps: ReleaseStep[];
  waitingStep?: number;
}) {
  const classes = useStyles();
  if (props.steps.length === 0) return null;
  return (
    <ol className={classes.list} aria-label="Step plan">
      {props.steps.map(step => {
        const waiting =
          step.index === props.waitingStep && step.status === 'pending';
        let statusClass = step.status === 'pending' ? '' : classes[step.status];
        if (waiting) statusClass = classes.waiting;
        const word = waiting
          ? 'waiting for approval'
          : STATUS_WORDS[step.status];
        return (
          <li
            key={step.index}
            className={`${classes.step} ${statusClass}`}
            aria-current={
              step.status === 'active' || waiting ? 'step' : undefined
            }
            aria-label={`Step ${step.index + 1}: ${describeStep(
              step,
            )} — ${word}`}
          >
            <Box
              display="flex"
              alignItems="center"
              justifyContent="space-between"
            >
              <Typography variant="subtitle2" component="span">
                {step.weight} %
              </Typography>
              {step.status === 'done' && <CheckIcon className={classes.icon} />}
              {step.status === 'failed' && (
                <CloseIcon className={classes.icon} />
              )}
            </Box>
            <Typography variant="caption" component="div">
              {step.pause && (
                <Tooltip title="Timed pause">
                  <span>
                    <TimerIcon className={classes.icon} />
                    {formatDuration(step.pause.seconds * 1000)}{' '}
                  </span>
                </Tooltip>
              )}
              {step.approval && (
                <Tooltip title="Waits for a team lead's approval">
                  <HowToRegIcon
                    className={classes.icon}
                    aria-label="approval"
                  />
                </Tooltip>
              )}
              {step.analysis && (
                <Tooltip title="Metric gates run at this step">
                  <TimelineIcon
                    className={classes.icon}
                    aria-label="analysis"
                  />
                </Tooltip>
              )}
            </Typography>
            <Typography variant="caption" component="div">
              Step {step.index + 1} · {word}
            </Typography>
          </li>
        );
      })}
    </ol>
  );
}
