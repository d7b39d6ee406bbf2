import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Paper from '@material-ui/core/Paper';
import { AuditEventsTable } from './AuditEventsTable';
import { AuditFilterValues } from './AuditFilters';
import { useAuditEvents } from './useAuditEvents';

/** The events for `filters`, with loading, error and empty states and "Load more". */
export function AuditEventsPanel(props: {
  filters: AuditFilterValues;
  hideEntity?: boolean;
  pageSize?: number;
}) {
  const events = useAuditEvents(props.filters, { pageSize: props.pageSize });

  if (events.loading) {
    return <Progress />;
  }
  return (
    <>
      {events.error && (
        <Box mb={2}>
          <ResponseErrorPanel
            title="Could not load audit events"
            error={events.error}
          />
        </Box>
      )}
      {events.items.length === 0 && !events.error && (
        <EmptyState
          missing="data"
          title="No audit events match these filters"
          description="Widen the time range or clear some filters. Every audited action of every plugin lands here."
        />
      )}
      {events.items.length > 0 && (
        <Paper variant="outlined" style={{ overflowX: 'auto' }}>
          <AuditEventsTable
            items={events.items}
            hideEntity={props.hideEntity}
          />
        </Paper>
      )}
      {events.hasMore && (
        <Box display="flex" justifyContent="center" mt={2}>
          <Button
            variant="outlined"
            onClick={events.loadMore}
            disabled={events.loadingMore}
          >
            {events.loadingMore ? 'Loading…' : 'Load more'}
          </Button>
        </Box>
      )}
    </>
  );
}
