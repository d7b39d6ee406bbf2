import { createRouteRef } from '@backstage/core-plugin-api';

/** The audit explorer page (legacy apps). @public */
export const rootRouteRef = createRouteRef({ id: 'audit' });
