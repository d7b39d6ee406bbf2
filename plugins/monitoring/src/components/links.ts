import { parseEntityRef } from '@backstage/catalog-model';
import { useRouteRef } from '@backstage/core-plugin-api';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { useCallback } from 'react';

/** The Monitoring tab's path under an entity page. */
export const MONITORING_TAB_PATH = 'monitoring';

/** `entityRef` → the link to its Monitoring tab (`/catalog/default/component/x/monitoring`). */
export function useMonitoringTabLink(): (entityRef: string) => string {
  const entityLink = useRouteRef(entityRouteRef);
  return useCallback(
    (entityRef: string) => {
      const { kind, namespace, name } = parseEntityRef(entityRef);
      return `${entityLink({
        kind: kind.toLocaleLowerCase('en-US'),
        namespace,
        name,
      })}/${MONITORING_TAB_PATH}`;
    },
    [entityLink],
  );
}
