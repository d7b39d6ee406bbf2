import { Alert } from '@fincloud/plugin-monitoring-common';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { Alert as MuiAlert } from '@material-ui/lab';
import NotificationsOffIcon from '@material-ui/icons/NotificationsOff';
import {
  AlertStateLabel,
  LabelChips,
  SeverityChip,
  sortAlerts,
} from './AlertBits';
import { formatDateTime, formatSince } from './format';

/**
 * The service's firing, pending and silenced alerts, worst first, with a
 * Silence action for those allowed (`monitoring.silence`).
 */
export function AlertsList(props: {
  alerts: Alert[];
  now: number;
  canSilence: boolean;
  onSilence: (alert: Alert) => void;
  error?: string;
}) {
  const { alerts, now, canSilence, onSilence, error } = props;
  return (
    <>
      {error && (
        <MuiAlert severity="warning" style={{ marginBottom: 8 }}>
          The alerts could not be read: {error}
        </MuiAlert>
      )}
      {alerts.length === 0 && !error && (
        <Typography variant="body2" color="textSecondary">
          Nothing is firing or pending for this service.
        </Typography>
      )}
      {alerts.length > 0 && (
        <Table size="small" aria-label="Alerts">
          <TableHead>
            <TableRow>
              <TableCell>State</TableCell>
              <TableCell>Alert</TableCell>
              <TableCell>Severity</TableCell>
              <TableCell>Since</TableCell>
              <TableCell>Labels</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {sortAlerts(alerts).map(alert => (
              <TableRow
                key={`${alert.fingerprint}-${alert.source}`}
                aria-label={`${alert.name} ${alert.state}`}
              >
                <TableCell>
                  <AlertStateLabel state={alert.state} />
                </TableCell>
                <TableCell>
                  <Typography variant="body2" style={{ fontWeight: 500 }}>
                    {alert.name}
                  </Typography>
                  {alert.summary && (
                    <Typography variant="caption" color="textSecondary">
                      {alert.summary}
                    </Typography>
                  )}
                </TableCell>
                <TableCell>
                  <SeverityChip severity={alert.severity} />
                </TableCell>
                <TableCell title={formatDateTime(alert.startsAt)}>
                  {formatSince(alert.startsAt, now)}
                </TableCell>
                <TableCell>
                  <LabelChips labels={alert.labels} />
                </TableCell>
                <TableCell align="right">
                  {alert.state === 'suppressed' && (
                    <Typography variant="caption" color="textSecondary">
                      silenced by {(alert.silencedBy ?? []).join(', ')}
                    </Typography>
                  )}
                  {canSilence && alert.state !== 'suppressed' && (
                    <Button
                      size="small"
                      variant="outlined"
                      startIcon={<NotificationsOffIcon />}
                      onClick={() => onSilence(alert)}
                      aria-label={`Silence ${alert.name}`}
                    >
                      Silence
                    </Button>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}
