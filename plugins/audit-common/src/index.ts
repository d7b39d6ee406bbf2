/**
 * Types, permissions and route names of the fincloud audit trail.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export * from './routes';
