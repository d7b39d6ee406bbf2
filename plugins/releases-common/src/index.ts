/**
 * Types, permissions and route names of fincloud releases.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export * from './routes';
export * from './annotations';
