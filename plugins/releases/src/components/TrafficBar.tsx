import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  bar: {
    display: 'flex',
    height: theme.spacing(4),
    borderRadius: theme.shape.borderRadius,
    overflow: 'hidden',
    border: `1px solid ${theme.palette.divider}`,
    background: theme.palette.background.default,
  },
  bar_small: {
    height: theme.spacing(2.5),
  },
  segment: {
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    overflow: 'hidden',
    whiteSpace: 'nowrap',
    color: theme.palette.common.white,
    fontWeight: theme.typography.fontWeightBold as number,
    fontSize: theme.typography.body2.fontSize,
    // Weights move step by step: let the eye follow them.
    transition: 'width 600ms ease-in-out',
  },
  stable: { background: theme.palette.primary.main },
  canary: { background: theme.palette.warning.dark },
  swatch: {
    display: 'inline-block',
    width: 10,
    height: 10,
    borderRadius: 2,
    marginRight: theme.spacing(0.75),
  },
}));

/**
 * Stable against new version, as live as the weights the backend read from
 * the VirtualService. Each side is a meter, so assistive technology (and the
 * tests) read the same numbers the eye sees.
 */
export function TrafficBar(props: {
  weights: { stable: number; canary: number };
  stableVersion?: string;
  newVersion: string;
  size?: 'small' | 'medium';
}) {
  const classes = useStyles();
  const { stable, canary } = props.weights;
  const stableName = props.stableVersion
    ? `stable ${props.stableVersion}`
    : 'stable';
  const newName = `new ${props.newVersion}`;
  const small = props.size === 'small';
  return (
    <Box>
      <div
        className={`${classes.bar} ${small ? classes.bar_small : ''}`}
        role="group"
        aria-label={`Traffic split: ${stable} % ${stableName}, ${canary} % ${newName}`}
      >
        <div
          className={`${classes.segment} ${classes.stable}`}
          style={{ width: `${stable}%` }}
          role="meter"
          aria-label={`Traffic to ${stableName}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={stable}
          aria-valuetext={`${stable} %`}
        >
          {!small && stable >= 8 ? `${stable} %` : null}
        </div>
        <div
          className={`${classes.segment} ${classes.canary}`}
          style={{ width: `${canary}%` }}
          role="meter"
          aria-label={`Traffic to ${newName}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={canary}
          aria-valuetext={`${canary} %`}
        >
          {!small && canary >= 8 ? `${canary} %` : null}
        </div>
      </div>
      <Box display="flex" justifyContent="space-between" mt={0.5}>
        <Typography variant="caption" component="span">
          <span className={`${classes.swatch} ${classes.stable}`} />
          Stable{props.stableVersion ? ` ${props.stableVersion}` : ''}: {stable}{' '}
          %
        </Typography>
        <Typography variant="caption" component="span">
          <span className={`${classes.swatch} ${classes.canary}`} />
          New {props.newVersion}: {canary} %
        </Typography>
      </Box>
    </Box>
  );
}
