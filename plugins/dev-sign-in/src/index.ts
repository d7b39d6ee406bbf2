/**
 * The fincloud sign-in page.
 *
 * @packageDocumentation
 */
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';

/** @public */
export const devSignInPage = SignInPageBlueprint.make({
  params: {
    loader: async () =>
      import('./components/DevSignInPage').then(m => m.DevSignInPage),
  },
});

/**
 * Installs the fincloud sign-in page in a New Frontend System app.
 *
 * @public
 */
export default createFrontendModule({
  pluginId: 'app',
  extensions: [devSignInPage],
});

/** Legacy apps: pass to `createApp({ components: { SignInPage } })`. @public */
export { DevSignInPage } from './components/DevSignInPage';
