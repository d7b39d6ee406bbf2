/**
 * The fincloud audit trail API.
 *
 * @packageDocumentation
 */
export { auditPlugin as default } from './plugin';
export { runRetention } from './tasks/tasks';
