import { FormEvent, useEffect, useState } from 'react';
import {
  AUDIT_SEVERITIES,
  AUDIT_STATUSES,
  AuditQuery,
  AuditSeverity,
  AuditStatus,
} from '@fincloud/plugin-audit-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import FormControl from '@material-ui/core/FormControl';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormGroup from '@material-ui/core/FormGroup';
import FormLabel from '@material-ui/core/FormLabel';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import { isoToLocalInput, localInputToIso } from './format';

/** The filters a user can set (everything but paging). */
export type AuditFilterValues = Omit<AuditQuery, 'cursor' | 'limit'>;

type Draft = {
  entityRef: string;
  actor: string;
  eventId: string;
  plugin: string;
  q: string;
  from: string;
  to: string;
  severity: AuditSeverity[];
  status: AuditStatus[];
};

function toDraft(values: AuditFilterValues): Draft {
  return {
    entityRef: values.entityRef ?? '',
    actor: values.actor ?? '',
    eventId: values.eventId ?? '',
    plugin: values.plugin ?? '',
    q: values.q ?? '',
    from: isoToLocalInput(values.from),
    to: isoToLocalInput(values.to),
    severity: values.severity ?? [],
    status: values.status ?? [],
  };
}

function fromDraft(draft: Draft, fixed: AuditFilterValues): AuditFilterValues {
  const text = (value: string) => value.trim() || undefined;
  const values: AuditFilterValues = {
    entityRef: text(draft.entityRef),
    actor: text(draft.actor),
    eventId: text(draft.eventId),
    plugin: text(draft.plugin),
    q: text(draft.q),
    from: localInputToIso(draft.from),
    to: localInputToIso(draft.to),
    severity: draft.severity.length ? draft.severity : undefined,
    status: draft.status.length ? draft.status : undefined,
    ...fixed,
  };
  return Object.fromEntries(
    Object.entries(values).filter(([, v]) => v !== undefined),
  ) as AuditFilterValues;
}

function toggle<T>(list: T[], value: T): T[] {
  return list.includes(value)
    ? list.filter(v => v !== value)
    : [...list, value];
}

/**
 * The explorer's filters: entity, actor, event id, plugin, severity, status,
 * time range (entered in local time, sent as UTC) and free text. Nothing is
 * requested until the user applies them.
 */
export function AuditFilters(props: {
  value: AuditFilterValues;
  onChange: (values: AuditFilterValues) => void;
  /** Filters the user cannot change (the entity, on an entity's tab). */
  fixed?: AuditFilterValues;
}) {
  const { value, onChange, fixed = {} } = props;
  const [draft, setDraft] = useState<Draft>(() => toDraft(value));
  const valueKey = JSON.stringify(value);
  useEffect(() => {
    setDraft(toDraft(JSON.parse(valueKey)));
  }, [valueKey]);

  const set = (field: keyof Draft) => (e: { target: { value: string } }) =>
    setDraft(d => ({ ...d, [field]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onChange(fromDraft(draft, fixed));
  };
  const text = (field: keyof Draft, label: string, placeholder?: string) => (
    <Grid item xs={12} sm={6} md={3}>
      <TextField
        fullWidth
        size="small"
        variant="outlined"
        id={`audit-filter-${field}`}
        label={label}
        placeholder={placeholder}
        value={draft[field] as string}
        onChange={set(field)}
        InputLabelProps={{ shrink: true }}
      />
    </Grid>
  );

  return (
    <Box component="form" onSubmit={submit} aria-label="Audit filters" mb={2}>
      <Grid container spacing={2}>
        {fixed.entityRef === undefined &&
          text('entityRef', 'Entity', 'component:default/payment-gateway')}
        {text('actor', 'Actor', 'user:default/pete')}
        {text('eventId', 'Event id', 'entity-mutate')}
        {text('plugin', 'Plugin', 'catalog')}
        {text('q', 'Free text', 'searches meta, errors and event ids')}
        <Grid item xs={12} sm={6} md={3}>
          <TextField
            fullWidth
            size="small"
            variant="outlined"
            type="datetime-local"
            id="audit-filter-from"
            label="From (local time)"
            value={draft.from}
            onChange={set('from')}
            InputLabelProps={{ shrink: true }}
          />
        </Grid>
        <Grid item xs={12} sm={6} md={3}>
          <TextField
            fullWidth
            size="small"
            variant="outlined"
            type="datetime-local"
            id="audit-filter-to"
            label="To (local time)"
            value={draft.to}
            onChange={set('to')}
            InputLabelProps={{ shrink: true }}
          />
        </Grid>
        <Grid item xs={12} md={6}>
          <FormControl component="fieldset">
            <FormLabel component="legend">Severity</FormLabel>
            <FormGroup row>
              {AUDIT_SEVERITIES.map(severity => (
                <FormControlLabel
                  key={severity}
                  label={severity}
                  control={
                    <Checkbox
                      size="small"
                      checked={draft.severity.includes(severity)}
                      onChange={() =>
                        setDraft(d => ({
                          ...d,
                          severity: toggle(d.severity, severity),
                        }))
                      }
                    />
                  }
                />
              ))}
            </FormGroup>
          </FormControl>
        </Grid>
        <Grid item xs={12} md={6}>
          <FormControl component="fieldset">
            <FormLabel component="legend">Status</FormLabel>
            <FormGroup row>
              {AUDIT_STATUSES.map(status => (
                <FormControlLabel
                  key={status}
                  label={status}
                  control={
                    <Checkbox
                      size="small"
                      checked={draft.status.includes(status)}
                      onChange={() =>
                        setDraft(d => ({
                          ...d,
                          status: toggle(d.status, status),
                        }))
                      }
                    />
                  }
                />
              ))}
            </FormGroup>
          </FormControl>
        </Grid>
        <Grid item xs={12}>
          <Button type="submit" variant="contained" color="primary">
            Apply filters
          </Button>
          <Box component="span" ml={1}>
            <Button
              onClick={() => {
                setDraft(toDraft(fixed));
                onChange({ ...fixed });
              }}
            >
              Clear
            </Button>
          </Box>
        </Grid>
      </Grid>
    </Box>
  );
}
