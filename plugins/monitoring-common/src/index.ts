/**
 * Types, permissions and names of fincloud monitoring, shared by
 * `@fincloud/plugin-monitoring-backend` and `@fincloud/plugin-monitoring`.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export * from './constants';
