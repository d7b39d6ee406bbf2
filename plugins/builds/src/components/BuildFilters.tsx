import { FormEvent, useEffect, useState } from 'react';
import {
  BUILD_TYPES,
  BuildStatus,
  BuildType,
} from '@fincloud/plugin-builds-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import {
  BUILD_STATUS_LABELS,
  BUILD_TYPE_LABELS,
  isoToLocalInput,
  localInputToIso,
  toUserRef,
} from './format';
import { BuildFilterValues } from './useBuildHistory';

const STATUSES = Object.keys(BUILD_STATUS_LABELS) as BuildStatus[];

type Draft = Record<
  'status' | 'branch' | 'triggeredBy' | 'buildType' | 'from' | 'to',
  string
>;

function toDraft(values: BuildFilterValues): Draft {
  return {
    status: values.status ?? '',
    branch: values.branch ?? '',
    triggeredBy: values.triggeredBy ?? '',
    buildType: values.buildType ?? '',
    from: isoToLocalInput(values.from),
    to: isoToLocalInput(values.to),
  };
}

function fromDraft(draft: Draft): BuildFilterValues {
  const values: BuildFilterValues = {
    status: (draft.status || undefined) as BuildStatus | undefined,
    branch: draft.branch.trim() || undefined,
    triggeredBy: draft.triggeredBy.trim()
      ? toUserRef(draft.triggeredBy)
      : undefined,
    buildType: (draft.buildType || undefined) as BuildType | undefined,
    from: localInputToIso(draft.from),
    to: localInputToIso(draft.to),
  };
  return Object.fromEntries(
    Object.entries(values).filter(([, v]) => v !== undefined),
  ) as BuildFilterValues;
}

/** Status, branch, who, type and time range; applied together. */
export function BuildFilters(props: {
  value: BuildFilterValues;
  onChange: (values: BuildFilterValues) => void;
}) {
  const { value, onChange } = props;
  const valueKey = JSON.stringify(value);
  const [draft, setDraft] = useState<Draft>(() => toDraft(value));
  useEffect(() => {
    setDraft(toDraft(JSON.parse(valueKey)));
  }, [valueKey]);

  const set = (field: keyof Draft) => (e: { target: { value: unknown } }) =>
    setDraft(d => ({ ...d, [field]: String(e.target.value) }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onChange(fromDraft(draft));
  };
  const common = {
    fullWidth: true,
    size: 'small' as const,
    variant: 'outlined' as const,
    InputLabelProps: { shrink: true },
  };

  return (
    <Box component="form" onSubmit={submit} aria-label="Build filters" mb={2}>
      <Grid container spacing={2} alignItems="center">
        <Grid item xs={6} md={2}>
          <TextField
            {...common}
            select
            id="builds-filter-status"
            label="Status"
            value={draft.status}
            onChange={set('status')}
            SelectProps={{ displayEmpty: true }}
          >
            <MenuItem value="">Any</MenuItem>
            {STATUSES.map(s => (
              <MenuItem key={s} value={s}>
                {BUILD_STATUS_LABELS[s]}
              </MenuItem>
            ))}
          </TextField>
        </Grid>
        <Grid item xs={6} md={2}>
          <TextField
            {...common}
            id="builds-filter-branch"
            label="Branch"
            placeholder="main"
            value={draft.branch}
            onChange={set('branch')}
          />
        </Grid>
        <Grid item xs={6} md={2}>
          <TextField
            {...common}
            id="builds-filter-triggered-by"
            label="Triggered by"
            placeholder="pete or user:default/pete"
            value={draft.triggeredBy}
            onChange={set('triggeredBy')}
          />
        </Grid>
        <Grid item xs={6} md={2}>
          <TextField
            {...common}
            select
            id="builds-filter-type"
            label="Build type"
            value={draft.buildType}
            onChange={set('buildType')}
            SelectProps={{ displayEmpty: true }}
          >
            <MenuItem value="">Any</MenuItem>
            {BUILD_TYPES.map(t => (
              <MenuItem key={t} value={t}>
                {BUILD_TYPE_LABELS[t]}
              </MenuItem>
            ))}
          </TextField>
        </Grid>
        <Grid item xs={6} md={2}>
          <TextField
            {...common}
            type="datetime-local"
            id="builds-filter-from"
            label="From (local time)"
            value={draft.from}
            onChange={set('from')}
          />
        </Grid>
        <Grid item xs={6} md={2}>
          <TextField
            {...common}
            type="datetime-local"
            id="builds-filter-to"
            label="To (local time)"
            value={draft.to}
            onChange={set('to')}
          />
        </Grid>
        <Grid item xs={12}>
          <Button type="submit" variant="outlined" color="primary">
            Apply filters
          </Button>
          <Box component="span" ml={1}>
            <Button
              onClick={() => {
                setDraft(toDraft({}));
                onChange({});
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
