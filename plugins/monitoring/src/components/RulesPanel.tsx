import { useCallback, useEffect, useState } from 'react';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { AlertRuleSpec, Panel } from '@fincloud/plugin-monitoring-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { Alert as MuiAlert } from '@material-ui/lab';
import AddIcon from '@material-ui/icons/Add';
import { monitoringApiRef } from '../api';
import { SeverityChip } from './AlertBits';
import { errorMessage } from './errors';
import { conditionText, formatMinutes } from './format';
import { RuleEditor } from './RuleEditor';

function DeleteRuleDialog(props: {
  rule: AlertRuleSpec;
  onClose: () => void;
  onDelete: () => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const go = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onDelete();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      onClose={busy ? undefined : props.onClose}
      aria-labelledby="monitoring-delete-rule-title"
    >
      <DialogTitle id="monitoring-delete-rule-title">
        Delete alert rule {props.rule.name}?
      </DialogTitle>
      <DialogContent>
        <Typography variant="body2">
          It stops being evaluated; alerts it raised resolve.
        </Typography>
        {error && <MuiAlert severity="error">{error}</MuiAlert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          onClick={go}
          disabled={busy}
        >
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/**
 * The service's threshold alert rules (its PrometheusRule), with the editor:
 * everybody may preview, the owning team and platform may save and delete.
 */
export function RulesPanel(props: {
  entityRef: string;
  panels: Panel[];
  canWrite: boolean;
  /** Called after a rule was saved or deleted. */
  onChanged?: () => void;
}) {
  const { entityRef, panels, canWrite, onChanged } = props;
  const api = useApi(monitoringApiRef);
  const [rules, setRules] = useState<AlertRuleSpec[]>();
  const [error, setError] = useState<string>();
  const [editing, setEditing] = useState<{ rule?: AlertRuleSpec }>();
  const [deleting, setDeleting] = useState<AlertRuleSpec>();
  const [notice, setNotice] = useState<string>();

  const load = useCallback(() => {
    api.getRules(entityRef).then(
      r => {
        setRules(r);
        setError(undefined);
      },
      e => setError(errorMessage(e)),
    );
  }, [api, entityRef]);

  useEffect(load, [load]);

  const panelOf = (id: string) => panels.find(p => p.id === id);

  return (
    <>
      <Box display="flex" justifyContent="flex-end" mb={1} style={{ gap: 8 }}>
        <Button
          variant={canWrite ? 'contained' : 'outlined'}
          color="primary"
          size="small"
          startIcon={<AddIcon />}
          onClick={() => setEditing({})}
          disabled={panels.length === 0}
        >
          {canWrite ? 'New rule' : 'Try a rule'}
        </Button>
      </Box>
      {notice && (
        <MuiAlert
          severity="success"
          onClose={() => setNotice(undefined)}
          style={{ marginBottom: 8 }}
        >
          {notice}
        </MuiAlert>
      )}
      {error && (
        <MuiAlert severity="error">
          The rules could not be read: {error}
        </MuiAlert>
      )}
      {!rules && !error && <Progress />}
      {rules && rules.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          No alert rules for this service yet.
        </Typography>
      )}
      {rules && rules.length > 0 && (
        <Table size="small" aria-label="Alert rules">
          <TableHead>
            <TableRow>
              <TableCell>Name</TableCell>
              <TableCell>Condition</TableCell>
              <TableCell>For</TableCell>
              <TableCell>Severity</TableCell>
              <TableCell>Summary</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rules.map(rule => {
              const panel = panelOf(rule.metric);
              return (
                <TableRow key={rule.name} aria-label={`Rule ${rule.name}`}>
                  <TableCell>{rule.name}</TableCell>
                  <TableCell>
                    {panel?.title ?? rule.metric}{' '}
                    {conditionText(
                      rule.comparison,
                      rule.threshold,
                      panel?.unit,
                    )}
                  </TableCell>
                  <TableCell>{formatMinutes(rule.forMinutes)}</TableCell>
                  <TableCell>
                    <SeverityChip severity={rule.severity} />
                  </TableCell>
                  <TableCell>{rule.summary}</TableCell>
                  <TableCell align="right">
                    <Button
                      size="small"
                      onClick={() => setEditing({ rule })}
                      aria-label={`${canWrite ? 'Edit' : 'Preview'} rule ${
                        rule.name
                      }`}
                      disabled={panels.length === 0}
                    >
                      {canWrite ? 'Edit' : 'Preview'}
                    </Button>
                    {canWrite && (
                      <Button
                        size="small"
                        onClick={() => setDeleting(rule)}
                        aria-label={`Delete rule ${rule.name}`}
                      >
                        Delete
                      </Button>
                    )}
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
      {editing && (
        <RuleEditor
          entityRef={entityRef}
          panels={panels}
          rule={editing.rule}
          canSave={canWrite}
          onClose={() => setEditing(undefined)}
          onSaved={saved => {
            setEditing(undefined);
            setRules(current => [
              ...(current ?? []).filter(r => r.name !== saved.name),
              saved,
            ]);
            setNotice(
              `Rule ${saved.name} saved; Prometheus evaluates it once the PrometheusRule is loaded.`,
            );
            load();
            onChanged?.();
          }}
        />
      )}
      {deleting && (
        <DeleteRuleDialog
          rule={deleting}
          onClose={() => setDeleting(undefined)}
          onDelete={async () => {
            await api.deleteRule(entityRef, deleting.name);
            setDeleting(undefined);
            setRules(current =>
              (current ?? []).filter(r => r.name !== deleting.name),
            );
            setNotice(`Rule ${deleting.name} deleted.`);
            load();
            onChanged?.();
          }}
        />
      )}
    </>
  );
}
