/**
 * The fincloud development sign-in (pick any catalog user). Never enable it in production.
 *
 * @packageDocumentation
 */
export { authModuleDevSignIn as default } from './module';
export type { DevSignInResult } from './authenticator';
