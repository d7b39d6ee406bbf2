import { Content, EmptyState } from '@backstage/core-components';

/** What someone without `audit.events.read` sees at /audit. */
export function AuditNotAllowed() {
  return (
    <EmptyState
      missing="info"
      title="You may not see the audit trail"
      description="The whole audit trail is open to the audit team and the platform team. The owners of a service, and their team leads, see that service's events on its Audit tab in the catalog."
    />
  );
}

/** The not-allowed state as a page body (New Frontend System page at /audit). */
export function AuditNotAllowedPage() {
  return (
    <Content>
      <AuditNotAllowed />
    </Content>
  );
}
