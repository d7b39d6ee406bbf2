import { createRouteRef } from '@backstage/core-plugin-api';

/** The terminal sessions page (legacy apps). @public */
export const rootRouteRef = createRouteRef({ id: 'terminal' });
