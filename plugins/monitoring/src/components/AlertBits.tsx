import {
  StatusAborted,
  StatusError,
  StatusPending,
} from '@backstage/core-components';
import { Alert } from '@fincloud/plugin-monitoring-common';
import Chip from '@material-ui/core/Chip';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  critical: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
  warning: {
    backgroundColor: theme.palette.warning.main,
    color: theme.palette.warning.contrastText,
  },
  info: {
    backgroundColor: theme.palette.info.main,
    color: theme.palette.info.contrastText,
  },
  labels: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5),
    listStyle: 'none',
    margin: 0,
    padding: 0,
  },
  label: { fontFamily: 'monospace', fontSize: 11 },
}));

export function AlertStateLabel(props: { state: Alert['state'] }) {
  switch (props.state) {
    case 'firing':
      return <StatusError>Firing</StatusError>;
    case 'pending':
      return <StatusPending>Pending</StatusPending>;
    default:
      return <StatusAborted>Silenced</StatusAborted>;
  }
}

export function SeverityChip(props: { severity: string }) {
  const classes = useStyles();
  const known = ['critical', 'warning', 'info'].includes(props.severity)
    ? (props.severity as 'critical' | 'warning' | 'info')
    : undefined;
  return (
    <Chip
      size="small"
      label={props.severity}
      className={known ? classes[known] : undefined}
    />
  );
}

/** Small monospace chips, e.g. `namespace=payments`. */
export function TextChips(props: { items: string[]; ariaLabel: string }) {
  const classes = useStyles();
  return (
    <ul className={classes.labels} aria-label={props.ariaLabel}>
      {props.items.map(item => (
        <li key={item}>
          <Chip
            size="small"
            variant="outlined"
            className={classes.label}
            label={item}
          />
        </li>
      ))}
    </ul>
  );
}

/** An alert's labels as `name=value` chips (its name and severity are shown elsewhere). */
export function LabelChips(props: {
  labels: Record<string, string>;
  omit?: string[];
  ariaLabel?: string;
}) {
  const omit = new Set(props.omit ?? ['alertname', 'severity']);
  const items = Object.entries(props.labels)
    .filter(([k]) => !omit.has(k))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  return <TextChips items={items} ariaLabel={props.ariaLabel ?? 'Labels'} />;
}

/** Worst first: firing, pending, silenced; then critical, warning, info; then oldest. */
export function sortAlerts<T extends Alert>(alerts: T[]): T[] {
  const stateRank = { firing: 0, pending: 1, suppressed: 2 } as Record<
    string,
    number
  >;
  const severityRank = { critical: 0, warning: 1, info: 2 } as Record<
    string,
    number
  >;
  return [...alerts].sort(
    (a, b) =>
      (stateRank[a.state] ?? 3) - (stateRank[b.state] ?? 3) ||
      (severityRank[a.severity] ?? 3) - (severityRank[b.severity] ?? 3) ||
      a.startsAt.localeCompare(b.startsAt) ||
      a.name.localeCompare(b.name),
  );
}
