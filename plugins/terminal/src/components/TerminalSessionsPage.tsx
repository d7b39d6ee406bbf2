import { Route, Routes } from 'react-router-dom';
import { Content, Header, Page } from '@backstage/core-components';
import { SessionDetails } from './SessionDetails';
import { SessionsPanel } from './SessionsPanel';

function SessionsRoutes() {
  return (
    <Routes>
      <Route path="/" element={<SessionsPanel />} />
      <Route path=":sessionId" element={<SessionDetails />} />
    </Routes>
  );
}

/**
 * Every terminal session the user may read, across services: all of them for
 * the platform team and auditors, their own services' for developers and
 * leads (the backend decides). Session details and replay at `:sessionId`.
 * New Frontend System pages bring their own header.
 */
export function TerminalSessionsContent() {
  return (
    <Content>
      <SessionsRoutes />
    </Content>
  );
}

/** The legacy-app page: header and content. @public */
export function TerminalSessionsPage() {
  return (
    <Page themeId="tool">
      <Header
        title="Terminal sessions"
        subtitle="Restricted terminals and break-glass shells into services' pods: who, when, why, and their replay"
      />
      <Content>
        <SessionsRoutes />
      </Content>
    </Page>
  );
}
