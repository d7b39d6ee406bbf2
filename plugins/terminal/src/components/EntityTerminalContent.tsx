import {
  Link as RouterLink,
  Route,
  Routes,
  useLocation,
  useResolvedPath,
} from 'react-router-dom';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { EmptyState, Progress } from '@backstage/core-components';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { FINCLOUD_ANNOTATIONS } from '@fincloud/plugin-fincloud-common';
import {
  isTerminalAvailable,
  terminalSessionsReadPermission,
} from '@fincloud/plugin-terminal-common';
import Box from '@material-ui/core/Box';
import Tab from '@material-ui/core/Tab';
import Tabs from '@material-ui/core/Tabs';
import { SessionDetails } from './SessionDetails';
import { SessionsPanel } from './SessionsPanel';
import { TerminalPanel } from './TerminalPanel';

function EntitySessions(props: { entityRef: string }) {
  const read = usePermission({
    permission: terminalSessionsReadPermission,
    resourceRef: props.entityRef,
  });
  if (read.loading) return <Progress />;
  if (!read.allowed) {
    return (
      <EmptyState
        missing="info"
        title="You may not see this service's terminal sessions"
        description="A service's sessions and recordings are open to its developers and their team leads, the platform team and auditors."
      />
    );
  }
  return (
    <Routes>
      <Route path="/" element={<SessionsPanel entityRef={props.entityRef} />} />
      <Route path=":sessionId" element={<SessionDetails />} />
    </Routes>
  );
}

/**
 * The entity's "Terminal" tab: the terminal itself, and its "Sessions"
 * (`…/terminal/sessions`, with each session's replay at
 * `…/terminal/sessions/:id`). The terminal stays connected while the user
 * looks at the sessions.
 */
export function EntityTerminalContent() {
  const { entity } = useEntity();
  const base = useResolvedPath('.').pathname.replace(/\/$/, '');
  const location = useLocation();

  if (!isTerminalAvailable(entity)) {
    return (
      <MissingAnnotationEmptyState
        annotation={[
          FINCLOUD_ANNOTATIONS.cluster,
          FINCLOUD_ANNOTATIONS.namespace,
        ]}
      />
    );
  }
  const entityRef = stringifyEntityRef(entity);
  const onSessions = location.pathname.startsWith(`${base}/sessions`);

  return (
    <>
      <Box mb={2}>
        <Tabs
          value={onSessions ? 1 : 0}
          indicatorColor="primary"
          aria-label="Terminal views"
        >
          <Tab label="Terminal" component={RouterLink} to={base} />
          <Tab
            label="Sessions"
            component={RouterLink}
            to={`${base}/sessions`}
          />
        </Tabs>
      </Box>
      <Box hidden={onSessions}>
        <TerminalPanel entityRef={entityRef} />
      </Box>
      <Routes>
        <Route
          path="sessions/*"
          element={<EntitySessions entityRef={entityRef} />}
        />
        <Route path="*" element={null} />
      </Routes>
    </>
  );
}
