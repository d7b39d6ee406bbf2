import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { navModule } from './modules/nav';

// Frontend plugins listed in package.json are discovered (app.packages: all);
// only the app's own modules are named here.
export default createApp({
  features: [catalogPlugin, navModule],
});
