import { createRouteRef } from '@backstage/core-plugin-api';

/** The alert center page (legacy apps). @public */
export const rootRouteRef = createRouteRef({ id: 'monitoring' });
