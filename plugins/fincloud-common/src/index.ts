/**
 * Names shared by every fincloud plugin: catalog annotations and roles.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './roles';
export * from './devSignIn';
