import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  Dashboard,
  monitoringRulesWritePermission,
  monitoringSilencePermission,
} from '@fincloud/plugin-monitoring-common';
import { monitoringApiRef } from '../api';
import { resolveRange, TimeRange } from './timeRange';

/** What the signed-in user may change on this service; the backend decides again. */
export interface MonitoringPermissions {
  loading: boolean;
  silence: boolean;
  rulesWrite: boolean;
}

export function useMonitoringPermissions(
  entityRef: string,
): MonitoringPermissions {
  const silence = usePermission({
    permission: monitoringSilencePermission,
    resourceRef: entityRef,
  });
  const rulesWrite = usePermission({
    permission: monitoringRulesWritePermission,
    resourceRef: entityRef,
  });
  return {
    loading: silence.loading || rulesWrite.loading,
    silence: silence.allowed,
    rulesWrite: rulesWrite.allowed,
  };
}

export interface DashboardState {
  dashboard?: Dashboard;
  /** the first load has not answered yet */
  loading: boolean;
  /** a reload is in flight (the previous dashboard stays on screen) */
  refreshing: boolean;
  error?: Error;
  /** when the shown dashboard was read (unix ms) */
  updatedAt?: number;
  reload: () => void;
}

/**
 * An entity's dashboard for a range, re-read every `refreshMs` while the
 * page is visible (relative ranges only: a fixed window does not change).
 * The previous dashboard stays on screen while a reload runs; an answer that
 * arrives after a newer request started is dropped.
 */
export function useDashboard(
  entityRef: string,
  range: TimeRange,
  options: { refreshMs: number; version?: string; step?: number },
): DashboardState {
  const api = useApi(monitoringApiRef);
  const [state, setState] = useState<
    Omit<DashboardState, 'reload' | 'loading' | 'refreshing'>
  >({});
  const [inFlight, setInFlight] = useState(0);
  const generation = useRef(0);
  const { refreshMs, version, step } = options;
  const rangeKey =
    range.kind === 'absolute' ? `${range.from}-${range.to}` : range.key;

  const reload = useCallback(() => {
    const mine = ++generation.current;
    const { from, to } = resolveRange(range, Date.now());
    setInFlight(n => n + 1);
    api
      .getDashboard(entityRef, { from, to, version, step })
      .then(
        dashboard => {
          if (generation.current !== mine) return;
          setState({ dashboard, updatedAt: Date.now() });
        },
        error => {
          if (generation.current !== mine) return;
          setState(current => ({ ...current, error }));
        },
      )
      .finally(() => setInFlight(n => n - 1));
    // rangeKey stands for range
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, entityRef, rangeKey, version, step]);

  useEffect(() => {
    setState(current => ({ dashboard: current.dashboard }));
    reload();
  }, [reload]);

  useEffect(() => {
    if (!refreshMs || range.kind === 'absolute') return undefined;
    const timer = setInterval(() => {
      if (typeof document !== 'undefined' && document.hidden) return;
      reload();
    }, refreshMs);
    return () => clearInterval(timer);
  }, [reload, refreshMs, range.kind]);

  return {
    ...state,
    loading: !state.dashboard && !state.error,
    refreshing: inFlight > 0,
    reload,
  };
}

/** Re-renders every `ms` so "for 5 min" stays true. */
export function useNow(ms = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
