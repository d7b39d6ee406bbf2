import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { Build, isBuildFinished } from '@fincloud/plugin-builds-common';
import { buildsApiRef, BuildHistoryQuery } from '../api';

export type BuildFilterValues = Omit<BuildHistoryQuery, 'cursor' | 'limit'>;

export interface BuildHistoryState {
  items: Build[];
  /** The first page is loading (nothing to show yet). */
  loading: boolean;
  loadingMore: boolean;
  error?: Error;
  hasMore: boolean;
  loadMore: () => void;
  /**
   * Re-reads the first page in place (new builds on top, changed ones
   * updated) without dropping pages already loaded; builds still active
   * further down are re-read one by one.
   */
  refresh: () => void;
}

/**
 * Keyset pagination over an entity's build history: the first page for
 * `filters`, then `loadMore()` appends the next page using the previous
 * page's cursor. A change of filters starts over; an answer for filters no
 * longer shown is dropped.
 */
export function useBuildHistory(
  entityRef: string,
  filters: BuildFilterValues,
  options: { pageSize?: number } = {},
): BuildHistoryState {
  const api = useApi(buildsApiRef);
  const { pageSize = 20 } = options;
  const key = JSON.stringify(filters);
  const [items, setItems] = useState<Build[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const generation = useRef(0);
  const itemsRef = useRef<Build[]>([]);
  itemsRef.current = items;
  const loadedFirstPage = useRef(false);

  useEffect(() => {
    const mine = ++generation.current;
    loadedFirstPage.current = false;
    setItems([]);
    setCursor(undefined);
    setError(undefined);
    setLoading(true);
    api
      .listBuilds(entityRef, {
        ...(JSON.parse(key) as BuildFilterValues),
        limit: pageSize,
      })
      .then(
        page => {
          if (generation.current !== mine) return;
          loadedFirstPage.current = true;
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
  }, [api, entityRef, key, pageSize]);

  const loadMore = useCallback(() => {
    if (!cursor || loadingMore) return;
    const mine = generation.current;
    setLoadingMore(true);
    api
      .listBuilds(entityRef, {
        ...(JSON.parse(key) as BuildFilterValues),
        limit: pageSize,
        cursor,
      })
      .then(
        page => {
          if (generation.current !== mine) return;
          setItems(previous => {
            const known = new Set(previous.map(b => b.id));
            return [...previous, ...page.items.filter(b => !known.has(b.id))];
          });
          setCursor(page.nextCursor);
        },
        e => {
          if (generation.current === mine) setError(e);
        },
      )
      .finally(() => {
        if (generation.current === mine) setLoadingMore(false);
      });
  }, [api, entityRef, key, pageSize, cursor, loadingMore]);

  const refreshing = useRef(false);
  const refresh = useCallback(() => {
    // The first answer is still on its way, or a refresh already is.
    if (!loadedFirstPage.current || refreshing.current) return;
    refreshing.current = true;
    const mine = generation.current;
    const run = async () => {
      const page = await api.listBuilds(entityRef, {
        ...(JSON.parse(key) as BuildFilterValues),
        limit: pageSize,
      });
      const fresh = new Map(page.items.map(b => [b.id, b]));
      // Active builds pushed below the first page: read each again.
      const stale = itemsRef.current.filter(
        b => !fresh.has(b.id) && !isBuildFinished(b.status),
      );
      const reread = await Promise.all(
        stale.slice(0, 20).map(b => api.getBuild(b.id).catch(() => b)),
      );
      for (const b of reread) fresh.set(b.id, b);
      if (generation.current !== mine) return;
      setItems(previous => {
        const known = new Set(previous.map(b => b.id));
        const added = page.items.filter(b => !known.has(b.id));
        return [...added, ...previous.map(b => fresh.get(b.id) ?? b)];
      });
      if (itemsRef.current.length === 0) setCursor(page.nextCursor);
      setError(undefined);
    };
    run()
      .catch(e => {
        if (generation.current === mine) setError(e);
      })
      .finally(() => {
        refreshing.current = false;
      });
  }, [api, entityRef, key, pageSize]);

  return {
    items,
    loading,
    loadingMore,
    error,
    hasMore: Boolean(cursor),
    loadMore,
    refresh,
  };
}
