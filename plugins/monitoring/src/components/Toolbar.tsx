import { useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import IconButton from '@material-ui/core/IconButton';
import Popover from '@material-ui/core/Popover';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import RefreshIcon from '@material-ui/icons/Refresh';
import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import { formatDateTime } from './format';
import {
  customRangeProblem,
  fromLocalInput,
  RANGE_PRESETS,
  REFRESH_OPTIONS,
  resolveRange,
  TimeRange,
  toLocalInput,
} from './timeRange';

const useStyles = makeStyles(theme => ({
  bar: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(2),
  },
  custom: {
    padding: theme.spacing(2),
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(2),
    width: 300,
  },
  select: { minWidth: 120 },
}));

function CustomRange(props: {
  anchor: HTMLElement;
  range: TimeRange;
  onClose: () => void;
  onApply: (range: TimeRange) => void;
}) {
  const classes = useStyles();
  const now = Date.now();
  const initial = resolveRange(props.range, now);
  const [from, setFrom] = useState(toLocalInput(initial.from));
  const [to, setTo] = useState(toLocalInput(initial.to));
  const fromMs = fromLocalInput(from);
  const toMs = fromLocalInput(to);
  const problem = customRangeProblem(fromMs, Math.min(toMs, now), now);
  return (
    <Popover
      open
      anchorEl={props.anchor}
      onClose={props.onClose}
      anchorOrigin={{ vertical: 'bottom', horizontal: 'left' }}
    >
      <div className={classes.custom} role="group" aria-label="Custom range">
        <TextField
          id="monitoring-range-from"
          label="From"
          type="datetime-local"
          value={from}
          onChange={e => setFrom(e.target.value)}
          InputLabelProps={{ shrink: true }}
          variant="outlined"
          size="small"
        />
        <TextField
          id="monitoring-range-to"
          label="To"
          type="datetime-local"
          value={to}
          onChange={e => setTo(e.target.value)}
          InputLabelProps={{ shrink: true }}
          variant="outlined"
          size="small"
        />
        {problem && (
          <Typography variant="caption" color="error">
            {problem}
          </Typography>
        )}
        <Button
          variant="contained"
          color="primary"
          disabled={!!problem}
          onClick={() =>
            props.onApply({
              kind: 'absolute',
              from: fromMs,
              to: Math.min(toMs, now),
            })
          }
        >
          Apply
        </Button>
      </div>
    </Popover>
  );
}

/**
 * Time range (15m … 7d, custom), refresh, auto refresh and, during a canary,
 * which version the RED panels show.
 */
export function Toolbar(props: {
  range: TimeRange;
  onRange: (range: TimeRange) => void;
  refreshMs: number;
  onRefreshMs: (ms: number) => void;
  onRefresh: () => void;
  refreshing: boolean;
  updatedAt?: number;
  versions: string[];
  version?: string;
  onVersion: (version?: string) => void;
}) {
  const classes = useStyles();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const { range } = props;
  const selected = range.kind === 'absolute' ? 'custom' : range.key;

  return (
    <div className={classes.bar}>
      <ToggleButtonGroup
        size="small"
        exclusive
        value={selected}
        aria-label="Time range"
        onChange={(event, value: string | null) => {
          if (value === 'custom') {
            setAnchor(event.currentTarget as HTMLElement);
          } else if (value) {
            props.onRange({ kind: 'relative', key: value });
          }
        }}
      >
        {RANGE_PRESETS.map(p => (
          <ToggleButton
            key={p.key}
            value={p.key}
            aria-label={`Last ${p.label}`}
          >
            {p.label}
          </ToggleButton>
        ))}
        <ToggleButton
          value="custom"
          aria-label="Custom range"
          onClick={e => setAnchor(e.currentTarget)}
        >
          Custom
        </ToggleButton>
      </ToggleButtonGroup>
      {range.kind === 'absolute' && (
        <Typography variant="body2" aria-label="Shown range">
          {formatDateTime(range.from)} – {formatDateTime(range.to)}
        </Typography>
      )}
      {anchor && (
        <CustomRange
          anchor={anchor}
          range={range}
          onClose={() => setAnchor(null)}
          onApply={r => {
            setAnchor(null);
            props.onRange(r);
          }}
        />
      )}
      {props.versions.length > 1 && (
        <TextField
          select
          size="small"
          variant="outlined"
          id="monitoring-version"
          label="Version"
          className={classes.select}
          value={props.version ?? ''}
          onChange={e => props.onVersion(e.target.value || undefined)}
          SelectProps={{ native: true }}
        >
          <option value="">All versions</option>
          {props.versions.map(v => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </TextField>
      )}
      <Box flexGrow={1} />
      <Typography variant="caption" color="textSecondary" aria-live="polite">
        {props.updatedAt
          ? `Updated ${new Date(props.updatedAt).toLocaleTimeString('en-GB')}`
          : ''}
      </Typography>
      <TextField
        select
        size="small"
        variant="outlined"
        id="monitoring-auto-refresh"
        label="Auto refresh"
        className={classes.select}
        value={range.kind === 'absolute' ? 0 : props.refreshMs}
        disabled={range.kind === 'absolute'}
        onChange={e => props.onRefreshMs(Number(e.target.value))}
        SelectProps={{ native: true }}
        title={
          range.kind === 'absolute'
            ? 'A fixed range does not change: nothing to refresh'
            : undefined
        }
      >
        {REFRESH_OPTIONS.map(o => (
          <option key={o.ms} value={o.ms}>
            {o.label}
          </option>
        ))}
      </TextField>
      <IconButton
        aria-label="Refresh"
        onClick={props.onRefresh}
        disabled={props.refreshing}
        size="small"
      >
        {props.refreshing ? <CircularProgress size={20} /> : <RefreshIcon />}
      </IconButton>
    </div>
  );
}
