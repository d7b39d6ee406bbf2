import { useMemo, useState } from 'react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { entityRouteRef, useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { auditEntityEventsReadPermission } from '@fincloud/plugin-audit-common';
import Box from '@material-ui/core/Box';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { AuditEventsPanel } from './AuditEventsPanel';
import { AuditStatusLabel, SeverityChip } from './AuditEventsTable';
import { AuditFilters, AuditFilterValues } from './AuditFilters';
import { formatActor, formatTime } from './format';
import { useAuditEvents } from './useAuditEvents';

const NOT_ALLOWED_TEXT =
  "An entity's audit trail is open to its owners, their team leads, the platform team and auditors.";

function useEntityAuditAccess() {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const { allowed, loading } = usePermission({
    permission: auditEntityEventsReadPermission,
    resourceRef: entityRef,
  });
  return { entityRef, allowed, loading };
}

/**
 * The entity's "Audit" tab: every audited action on this entity, with the
 * explorer's filters. Shown to those `audit.entity.read` allows for this
 * entity; everybody else gets a clear "not allowed" state (and the backend
 * refuses them anyway).
 */
export function EntityAuditContent() {
  const { entityRef, allowed, loading } = useEntityAuditAccess();
  const fixed = useMemo(() => ({ entityRef }), [entityRef]);
  const [filters, setFilters] = useState<AuditFilterValues>(fixed);

  if (loading) return <Progress />;
  if (!allowed) {
    return (
      <EmptyState
        missing="info"
        title="You may not see this entity's audit trail"
        description={NOT_ALLOWED_TEXT}
      />
    );
  }
  // The entity filter follows the page, whatever the user typed before.
  const current = { ...filters, entityRef };
  return (
    <>
      <AuditFilters value={current} onChange={setFilters} fixed={fixed} />
      <AuditEventsPanel filters={current} hideEntity />
    </>
  );
}

function RecentEvents(props: { entityRef: string; limit: number }) {
  const filters = useMemo(
    () => ({ entityRef: props.entityRef }),
    [props.entityRef],
  );
  const events = useAuditEvents(filters, { pageSize: props.limit });
  if (events.loading) return <Progress />;
  if (events.error) {
    return (
      <ResponseErrorPanel
        title="Could not load audit events"
        error={events.error}
      />
    );
  }
  if (events.items.length === 0) {
    return (
      <Typography variant="body2">
        No audited actions on this entity yet.
      </Typography>
    );
  }
  return (
    <List dense disablePadding aria-label="Recent audit events">
      {events.items.map(record => (
        <ListItem key={record.seq} disableGutters divider>
          <ListItemText
            primary={
              <Box display="flex" alignItems="center" flexWrap="wrap">
                <Box mr={1}>
                  <SeverityChip severity={record.severity} />
                </Box>
                <Box mr={1} fontFamily="monospace">
                  {record.plugin} · {record.eventId}
                </Box>
                <AuditStatusLabel status={record.status} />
              </Box>
            }
            secondary={`${formatTime(record.at)} · ${formatActor(
              record.actor,
            )}`}
          />
        </ListItem>
      ))}
    </List>
  );
}

/**
 * A small card with the entity's latest audited actions and a link to its
 * Audit tab; the same access rule as the tab.
 */
export function EntityAuditCard(props: { limit?: number }) {
  const { entityRef, allowed, loading } = useEntityAuditAccess();
  const { entity } = useEntity();
  const entityLink = useRouteRef(entityRouteRef);
  const tab = `${entityLink({
    kind: entity.kind.toLocaleLowerCase('en-US'),
    namespace: entity.metadata.namespace ?? 'default',
    name: entity.metadata.name,
  })}/audit`;

  return (
    <InfoCard
      title="Audit"
      subheader="Latest audited actions on this entity"
      deepLink={allowed ? { title: 'All events', link: tab } : undefined}
    >
      {loading && <Progress />}
      {!loading && !allowed && (
        <Typography variant="body2">{NOT_ALLOWED_TEXT}</Typography>
      )}
      {!loading && allowed && (
        <RecentEvents entityRef={entityRef} limit={props.limit ?? 5} />
      )}
    </InfoCard>
  );
}
