/**
 * The development sign-in's wire names, shared by its backend module and its
 * sign-in page (plugins/auth-backend-module-dev-sign-in, plugins/dev-sign-in).
 *
 * @public
 */
export const DEV_SIGN_IN = {
  /** The auth provider id; `auth.providers.fincloud-dev` switches it on. */
  providerId: 'fincloud-dev',
  /** The request header carrying the picked user's entity ref. */
  userHeader: 'x-fincloud-dev-user',
  /** Path under the auth plugin listing the users the page offers. */
  usersPath: 'fincloud-dev-users',
} as const;

/** A user as the development sign-in page lists it. @public */
export interface DevSignInUser {
  userRef: string;
  displayName: string;
  description?: string;
  groups: string[];
}
