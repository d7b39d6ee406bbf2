import { Fragment, useState } from 'react';
import {
  StatusError,
  StatusOK,
  StatusPending,
} from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { AuditRecord, AuditSeverity } from '@fincloud/plugin-audit-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import IconButton from '@material-ui/core/IconButton';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import ExpandLess from '@material-ui/icons/ExpandLess';
import ExpandMore from '@material-ui/icons/ExpandMore';
import { formatActor, formatTime } from './format';

const useStyles = makeStyles(theme => ({
  mono: { fontFamily: 'monospace', fontSize: '0.8rem' },
  nowrap: { whiteSpace: 'nowrap' },
  request: {
    fontFamily: 'monospace',
    fontSize: '0.8rem',
    maxWidth: 420,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  },
  low: {
    backgroundColor: theme.palette.grey[300],
    color: theme.palette.grey[900],
  },
  medium: {
    backgroundColor: theme.palette.info.main,
    color: theme.palette.info.contrastText,
  },
  high: {
    backgroundColor: theme.palette.warning.main,
    color: theme.palette.warning.contrastText,
  },
  critical: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
  details: {
    backgroundColor: theme.palette.background.default,
    padding: theme.spacing(1, 2),
    wordBreak: 'break-all',
  },
  json: {
    fontFamily: 'monospace',
    fontSize: '0.8rem',
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-all',
    margin: 0,
  },
}));

/** A chip coloured by how much the event matters. */
export function SeverityChip(props: { severity: AuditSeverity }) {
  const classes = useStyles();
  return (
    <Chip
      size="small"
      label={props.severity}
      className={classes[props.severity]}
    />
  );
}

/** initiated / succeeded / failed, with Backstage's status icons. */
export function AuditStatusLabel(props: { status: AuditRecord['status'] }) {
  switch (props.status) {
    case 'succeeded':
      return <StatusOK>succeeded</StatusOK>;
    case 'failed':
      return <StatusError>failed</StatusError>;
    default:
      return <StatusPending>{props.status}</StatusPending>;
  }
}

function Actor(props: { actor: AuditRecord['actor'] }) {
  const { actor } = props;
  if (actor.type === 'user' && actor.ref) {
    return <EntityRefLink entityRef={actor.ref} defaultKind="user" />;
  }
  return <>{formatActor(actor)}</>;
}

function Details(props: { record: AuditRecord }) {
  const classes = useStyles();
  const { record } = props;
  return (
    <Box className={classes.details}>
      {record.error && (
        <Typography variant="body2" color="error" gutterBottom>
          Error: {record.error}
        </Typography>
      )}
      <Typography variant="caption" component="div" className={classes.mono}>
        seq {record.seq} · id {record.id} · correlation {record.correlationId}
      </Typography>
      <Typography variant="caption" component="div" className={classes.mono}>
        hash {record.hash} · previous {record.prevHash}
      </Typography>
      {record.request?.ip && (
        <Typography variant="caption" component="div" className={classes.mono}>
          from {record.request.ip}
        </Typography>
      )}
      <pre className={classes.json} aria-label={`meta of event ${record.seq}`}>
        {JSON.stringify(record.meta, null, 2)}
      </pre>
    </Box>
  );
}

/**
 * The events, newest first: time, severity, status, actor, event, entity,
 * request; each row expands to its meta (JSON), error and chain fields.
 */
export function AuditEventsTable(props: {
  items: AuditRecord[];
  /** Hide the entity column (on an entity's own tab). */
  hideEntity?: boolean;
}) {
  const classes = useStyles();
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const toggle = (seq: number) =>
    setOpen(previous => {
      const next = new Set(previous);
      if (next.has(seq)) next.delete(seq);
      else next.add(seq);
      return next;
    });
  const columns = props.hideEntity ? 8 : 9;

  return (
    <Table size="small" aria-label="Audit events">
      <TableHead>
        <TableRow>
          <TableCell padding="checkbox" />
          <TableCell>Time</TableCell>
          <TableCell>Severity</TableCell>
          <TableCell>Status</TableCell>
          <TableCell>Actor</TableCell>
          <TableCell>Event</TableCell>
          {!props.hideEntity && <TableCell>Entity</TableCell>}
          <TableCell>Request</TableCell>
          <TableCell align="right" style={{ whiteSpace: 'nowrap' }}>
            Seq
          </TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.items.map(record => {
          const expanded = open.has(record.seq);
          return (
            <Fragment key={record.seq}>
              <TableRow hover data-testid={`audit-event-${record.seq}`}>
                <TableCell padding="checkbox">
                  <IconButton
                    size="small"
                    aria-expanded={expanded}
                    aria-label={`${
                      expanded ? 'Hide' : 'Show'
                    } details of event ${record.seq}`}
                    onClick={() => toggle(record.seq)}
                  >
                    {expanded ? <ExpandLess /> : <ExpandMore />}
                  </IconButton>
                </TableCell>
                <TableCell title={record.at} style={{ whiteSpace: 'nowrap' }}>
                  {formatTime(record.at)}
                </TableCell>
                <TableCell>
                  <SeverityChip severity={record.severity} />
                </TableCell>
                <TableCell style={{ whiteSpace: 'nowrap' }}>
                  <AuditStatusLabel status={record.status} />
                </TableCell>
                <TableCell className={classes.nowrap}>
                  <Actor actor={record.actor} />
                </TableCell>
                <TableCell>
                  <span
                    className={classes.mono}
                    style={{ whiteSpace: 'nowrap' }}
                  >
                    {record.plugin} · {record.eventId}
                  </span>
                </TableCell>
                {!props.hideEntity && (
                  <TableCell className={classes.nowrap}>
                    {record.entityRef ? (
                      <EntityRefLink entityRef={record.entityRef} />
                    ) : (
                      '—'
                    )}
                  </TableCell>
                )}
                <TableCell
                  className={classes.request}
                  title={
                    record.request
                      ? `${record.request.method} ${record.request.path}`
                      : undefined
                  }
                >
                  {record.request
                    ? `${record.request.method} ${record.request.path}`
                    : '—'}
                </TableCell>
                <TableCell align="right" className={classes.mono}>
                  {record.seq}
                </TableCell>
              </TableRow>
              {expanded && (
                <TableRow>
                  <TableCell colSpan={columns} style={{ padding: 0 }}>
                    <Details record={record} />
                  </TableCell>
                </TableRow>
              )}
            </Fragment>
          );
        })}
      </TableBody>
    </Table>
  );
}
