/**
 * The fincloud terminal: each service's Terminal tab (restricted commands and
 * the break-glass shell in xterm.js), its sessions and their in-portal replay.
 * Legacy exports here; the New Frontend System plugin is the default export
 * of `./alpha`.
 *
 * @packageDocumentation
 */
export {
  terminalPlugin,
  TerminalSessionsPage,
  EntityTerminalContent,
} from './plugin';
export { rootRouteRef } from './routes';
export {
  terminalApiRef,
  TerminalClient,
  TerminalConnection,
  describeClose,
} from './api';
export type {
  TerminalApi,
  SessionQuery,
  SessionTarget,
  ConnectionState,
  TerminalConnectionHandlers,
} from './api';
export { isTerminalTabAvailable } from './components/isTerminalTabAvailable';
