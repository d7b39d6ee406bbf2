import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import {
  authProvidersExtensionPoint,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import Router from 'express-promise-router';
import { DEV_SIGN_IN, DevSignInUser } from '@fincloud/plugin-fincloud-common';
import {
  createDevSignInAuthenticator,
  DevSignInResult,
  isAllowedHere,
} from './authenticator';

/**
 * The fincloud development sign-in: a proxy-style auth provider that signs the
 * caller in as the catalog user named in a request header, with that user's
 * ownership (groups) resolved by the catalog, plus `GET /api/auth/fincloud-dev-users`
 * listing the users for the sign-in page. Both answer only when
 * `auth.providers.fincloud-dev` is configured.
 *
 * @public
 */
export const authModuleDevSignIn = createBackendModule({
  pluginId: 'auth',
  moduleId: 'fincloud-dev-sign-in',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        config: coreServices.rootConfig,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
      },
      async init({ providers, config, auth, catalog, httpRouter, logger }) {
        const loadUser = async (userRef: string) =>
          catalog.getEntityByRef(userRef, {
            credentials: await auth.getOwnServiceCredentials(),
          });

        providers.registerProvider({
          providerId: DEV_SIGN_IN.providerId,
          factory: createProxyAuthProviderFactory<DevSignInResult>({
            authenticator: createDevSignInAuthenticator(loadUser),
            async signInResolver({ result }, ctx) {
              // Resolve through the catalog so the token carries the user's
              // group memberships, exactly as a real provider's resolver would.
              return ctx.signInWithCatalogUser({
                entityRef: stringifyEntityRef(result.user),
              });
            },
          }),
        });

        const providerConfig = config.getOptionalConfig(
          `auth.providers.${DEV_SIGN_IN.providerId}`,
        );
        const enabled =
          providerConfig !== undefined &&
          isAllowedHere(
            providerConfig.getOptionalBoolean(
              'dangerouslyAllowOutsideDevelopment',
            ),
          );
        if (enabled) {
          logger.warn(
            'The fincloud development sign-in is on: anybody reaching this backend can sign in as any catalog user',
          );
        }

        const router = Router();
        router.get(`/${DEV_SIGN_IN.usersPath}`, async (_req, res) => {
          if (!enabled) {
            throw new NotFoundError('The development sign-in is not enabled');
          }
          const { items } = await catalog.getEntities(
            {
              filter: { kind: 'User' },
              fields: [
                'kind',
                'metadata.name',
                'metadata.namespace',
                'metadata.description',
                'spec.profile.displayName',
                'spec.memberOf',
              ],
            },
            { credentials: await auth.getOwnServiceCredentials() },
          );
          const users: DevSignInUser[] = items
            .map(user => {
              const spec = (user.spec ?? {}) as {
                profile?: { displayName?: string };
                memberOf?: string[];
              };
              return {
                userRef: stringifyEntityRef(user),
                displayName: spec.profile?.displayName ?? user.metadata.name,
                description: user.metadata.description,
                groups: spec.memberOf ?? [],
              };
            })
            .sort((a, b) => a.userRef.localeCompare(b.userRef));
          res.json({ users });
        });
        httpRouter.use(router);
      },
    });
  },
});
