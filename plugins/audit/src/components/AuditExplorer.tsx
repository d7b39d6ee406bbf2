import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import { Content, Header, Page, Progress } from '@backstage/core-components';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  AUDIT_SEVERITIES,
  AUDIT_STATUSES,
  AuditSeverity,
  AuditStatus,
  auditEventsReadPermission,
} from '@fincloud/plugin-audit-common';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import { AuditEventsPanel } from './AuditEventsPanel';
import { AuditFilters, AuditFilterValues } from './AuditFilters';
import { AuditNotAllowed } from './AuditNotAllowed';
import { ExportButtons } from './ExportButtons';
import { VerificationBadge } from './VerificationBadge';

const TEXT_KEYS = [
  'entityRef',
  'actor',
  'eventId',
  'plugin',
  'q',
  'from',
  'to',
] as const;

/** The filters live in the URL, so a filtered view can be shared and linked. */
function filtersFromUrl(params: URLSearchParams): AuditFilterValues {
  const values: AuditFilterValues = {};
  for (const key of TEXT_KEYS) {
    const v = params.get(key);
    if (v) values[key] = v;
  }
  const list = <T extends string>(key: string, allowed: readonly T[]) => {
    const items = (params.get(key) ?? '')
      .split(',')
      .filter((v): v is T => (allowed as readonly string[]).includes(v));
    return items.length ? items : undefined;
  };
  const severity = list<AuditSeverity>('severity', AUDIT_SEVERITIES);
  const status = list<AuditStatus>('status', AUDIT_STATUSES);
  if (severity) values.severity = severity;
  if (status) values.status = status;
  return values;
}

function filtersToUrl(values: AuditFilterValues): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (Array.isArray(value)) params.set(key, value.join(','));
    else if (value) params.set(key, String(value));
  }
  return params;
}

/**
 * The audit explorer: chain verification, export, filters and the events,
 * for holders of `audit.events.read` (auditors, platform team); anyone else
 * gets the not-allowed state. The backend decides again on every request.
 */
export function AuditExplorer() {
  const { allowed, loading } = usePermission({
    permission: auditEventsReadPermission,
  });
  const [params, setParams] = useSearchParams();
  const paramsKey = params.toString();
  const filters = useMemo(
    () => filtersFromUrl(new URLSearchParams(paramsKey)),
    [paramsKey],
  );

  if (loading) return <Progress />;
  if (!allowed) return <AuditNotAllowed />;

  return (
    <>
      <Grid container spacing={2} alignItems="center">
        <Grid item xs={12} md={8}>
          <VerificationBadge />
        </Grid>
        <Grid item xs={12} md={4}>
          <Box display="flex" justifyContent="flex-end">
            <ExportButtons filters={filters} />
          </Box>
        </Grid>
      </Grid>
      <Box mt={2}>
        <AuditFilters
          value={filters}
          onChange={values => setParams(filtersToUrl(values))}
        />
      </Box>
      <AuditEventsPanel filters={filters} />
    </>
  );
}

/** The explorer inside its page frame (New Frontend System pages bring their own header). */
export function AuditExplorerContent() {
  return (
    <Content>
      <AuditExplorer />
    </Content>
  );
}

/** The legacy-app page: header and content. @public */
export function AuditPage() {
  return (
    <Page themeId="tool">
      <Header
        title="Audit trail"
        subtitle="Who did what, when — tamper-evident, verified against its hash chain"
      />
      <Content>
        <AuditExplorer />
      </Content>
    </Page>
  );
}
