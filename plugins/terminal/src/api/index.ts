export { terminalApiRef } from './TerminalApi';
export type { TerminalApi, SessionQuery, SessionTarget } from './TerminalApi';
export { TerminalClient } from './TerminalClient';
export { TerminalConnection, describeClose } from './TerminalConnection';
export type {
  ConnectionState,
  TerminalConnectionHandlers,
} from './TerminalConnection';
