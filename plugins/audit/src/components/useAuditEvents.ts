import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { AuditQuery, AuditRecord } from '@fincloud/plugin-audit-common';
import { auditApiRef } from '../api';

export interface AuditEventsState {
  items: AuditRecord[];
  /** The first page is loading (nothing to show yet). */
  loading: boolean;
  /** A further page is loading. */
  loadingMore: boolean;
  error?: Error;
  hasMore: boolean;
  loadMore: () => void;
  reload: () => void;
}

/**
 * Keyset pagination over `GET /api/audit/events`: the first page for
 * `filters`, then `loadMore()` appends the next page using the previous
 * page's cursor. A change of filters starts over; an answer that arrives for
 * filters no longer shown is dropped. `enabled: false` requests nothing.
 */
export function useAuditEvents(
  filters: AuditQuery,
  options: { pageSize?: number; enabled?: boolean } = {},
): AuditEventsState {
  const api = useApi(auditApiRef);
  const { pageSize = 50, enabled = true } = options;
  const key = JSON.stringify(filters);
  const [items, setItems] = useState<AuditRecord[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [loading, setLoading] = useState(enabled);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const [reloads, setReloads] = useState(0);
  const generation = useRef(0);

  useEffect(() => {
    if (!enabled) return;
    const mine = ++generation.current;
    setItems([]);
    setCursor(undefined);
    setError(undefined);
    setLoading(true);
    api
      .listEvents({ ...(JSON.parse(key) as AuditQuery), limit: pageSize })
      .then(
        page => {
          if (generation.current !== mine) return;
          setItems(page.items);
          setCursor(page.nextCursor);
        },
        e => {
          if (generation.current === mine) setError(e);
        },
      )
      .finally(() => {
        if (generation.current === mine) setLoading(false);
      });
  }, [api, key, pageSize, enabled, reloads]);

  const loadMore = useCallback(() => {
    if (!cursor || loadingMore) return;
    const mine = generation.current;
    setLoadingMore(true);
    api
      .listEvents({
        ...(JSON.parse(key) as AuditQuery),
        limit: pageSize,
        cursor,
      })
      .then(
        page => {
          if (generation.current !== mine) return;
          setItems(previous => [...previous, ...page.items]);
          setCursor(page.nextCursor);
        },
        e => {
          if (generation.current === mine) setError(e);
        },
      )
      .finally(() => {
        if (generation.current === mine) setLoadingMore(false);
      });
  }, [api, key, pageSize, cursor, loadingMore]);

  const reload = useCallback(() => setReloads(n => n + 1), []);

  return {
    items,
    loading: enabled && loading,
    loadingMore,
    error,
    hasMore: Boolean(cursor),
    loadMore,
    reload,
  };
}
