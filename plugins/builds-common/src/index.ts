/**
 * Types, permissions and wire names of fincloud builds.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export * from './constants';
