import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  AuthenticationError,
  InputError,
  NotAllowedError,
} from '@backstage/errors';
import { createProxyAuthenticator } from '@backstage/plugin-auth-node';
import { DEV_SIGN_IN } from '@fincloud/plugin-fincloud-common';

/** @public */
export interface DevSignInResult {
  /** The picked user, as found in the catalog. */
  user: Entity;
}

export type LoadUser = (userRef: string) => Promise<Entity | undefined>;

/** Turns `rita` or `user:default/rita` into `user:default/rita`; refuses anything but a User. */
export function normalizeUserRef(raw: string): string {
  let ref;
  try {
    ref = parseEntityRef(raw.trim(), {
      defaultKind: 'user',
      defaultNamespace: 'default',
    });
  } catch {
    throw new InputError(`"${raw}" is not a user entity reference`);
  }
  if (ref.kind.toLocaleLowerCase('en-US') !== 'user') {
    throw new InputError(`"${raw}" is not a user; only users can sign in`);
  }
  return stringifyEntityRef(ref);
}

export function isAllowedHere(allowOutsideDevelopment: boolean | undefined) {
  return (
    process.env.NODE_ENV === 'development' || allowOutsideDevelopment === true
  );
}

export function createDevSignInAuthenticator(loadUser: LoadUser) {
  return createProxyAuthenticator({
    defaultProfileTransform: async (result: DevSignInResult) => {
      const profile = (result.user.spec?.profile ?? {}) as {
        displayName?: string;
        email?: string;
        picture?: string;
      };
      return {
        profile: {
          displayName: profile.displayName ?? result.user.metadata.name,
          email: profile.email,
          picture: profile.picture,
        },
      };
    },
    initialize({ config }) {
      return {
        allowed: isAllowedHere(
          config.getOptionalBoolean('dangerouslyAllowOutsideDevelopment'),
        ),
      };
    },
    async authenticate({ req }, { allowed }) {
      if (!allowed) {
        throw new NotAllowedError(
          "The fincloud development sign-in is only for development; set 'auth.providers.fincloud-dev.dangerouslyAllowOutsideDevelopment' to use it elsewhere",
        );
      }
      const picked = req.header(DEV_SIGN_IN.userHeader);
      if (!picked) {
        throw new AuthenticationError(
          `Pick a user on the sign-in page (header ${DEV_SIGN_IN.userHeader} is missing)`,
        );
      }
      const userRef = normalizeUserRef(picked);
      const user = await loadUser(userRef);
      if (!user) {
        throw new AuthenticationError(
          `There is no user ${userRef} in the catalog`,
        );
      }
      return { result: { user } };
    },
  });
}
