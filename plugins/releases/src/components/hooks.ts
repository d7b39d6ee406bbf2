import { useCallback, useEffect, useRef, useState } from 'react';
import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { useSignal } from '@backstage/plugin-signals-react';
import {
  Release,
  ReleaseSignal,
  releasesApprovePermission,
  releasesBreakGlassPermission,
  releasesCreatePermission,
  releasesPolicyWritePermission,
  releasesPromotePermission,
  releasesRollbackPermission,
  releasesSignalChannel,
} from '@fincloud/plugin-releases-common';
import useAsync from 'react-use/esm/useAsync';
import { releasesApiRef } from '../api';
import { isActive } from './format';

/** What the signed-in user may do on this service; the backend decides again. */
export interface ReleasePermissions {
  loading: boolean;
  create: boolean;
  approve: boolean;
  promote: boolean;
  rollback: boolean;
  policyWrite: boolean;
  breakGlass: boolean;
}

export function useReleasePermissions(entityRef: string): ReleasePermissions {
  const create = usePermission({
    permission: releasesCreatePermission,
    resourceRef: entityRef,
  });
  const approve = usePermission({
    permission: releasesApprovePermission,
    resourceRef: entityRef,
  });
  const promote = usePermission({
    permission: releasesPromotePermission,
    resourceRef: entityRef,
  });
  const rollback = usePermission({
    permission: releasesRollbackPermission,
    resourceRef: entityRef,
  });
  const policyWrite = usePermission({
    permission: releasesPolicyWritePermission,
    resourceRef: entityRef,
  });
  const breakGlass = usePermission({
    permission: releasesBreakGlassPermission,
    resourceRef: entityRef,
  });
  const all = [create, approve, promote, rollback, policyWrite, breakGlass];
  return {
    loading: all.some(p => p.loading),
    create: create.allowed,
    approve: approve.allowed,
    promote: promote.allowed,
    rollback: rollback.allowed,
    policyWrite: policyWrite.allowed,
    breakGlass: breakGlass.allowed,
  };
}

/** The signed-in user's entity ref (for four-eyes: nobody approves their own). */
export function useCurrentUserRef(): string | undefined {
  const identityApi = useApi(identityApiRef);
  const { value } = useAsync(
    async () => (await identityApi.getBackstageIdentity()).userEntityRef,
    [identityApi],
  );
  return value;
}

export interface LiveRelease {
  /** The running release; undefined when none runs. */
  release?: Release;
  loading: boolean;
  error?: Error;
  /** True when updates come through signals (else only polling). */
  live: boolean;
  reload: () => void;
  /** Shows a release an action just returned, without waiting for the next read. */
  replace: (release: Release) => void;
}

/** Polling when signals are not available; a slow safety net when they are. */
export const POLL_WITHOUT_SIGNALS_MS = 3000;
export const POLL_WITH_SIGNALS_MS = 15000;

/**
 * The service's current release, kept live: every signal on
 * `fincloud-releases:<entityRef>` moves the weights and state at once and
 * re-reads the release; without signals (or if they drop silently) it polls.
 */
export function useLiveRelease(entityRef: string): LiveRelease {
  const api = useApi(releasesApiRef);
  const { lastSignal, isSignalsAvailable } = useSignal<
    ReleaseSignal & { [key: string]: any }
  >(releasesSignalChannel(entityRef));
  const [release, setRelease] = useState<Release | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | undefined>();
  const generation = useRef(0);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    api.getCurrentRelease(entityRef).then(
      current => {
        if (generation.current !== mine) return;
        setRelease(current);
        setError(undefined);
        setLoading(false);
      },
      e => {
        if (generation.current !== mine) return;
        setError(e);
        setLoading(false);
      },
    );
  }, [api, entityRef]);

  const replace = useCallback((next: Release) => {
    // An answer still in flight must not overwrite what the action returned.
    generation.current++;
    setLoading(false);
    setError(undefined);
    setRelease(
      isActive(next.state) || next.blueGreen?.warmUntil ? next : undefined,
    );
  }, []);

  useEffect(() => {
    setLoading(true);
    setRelease(undefined);
    reload();
  }, [reload]);

  useEffect(() => {
    if (!lastSignal) return;
    setRelease(current =>
      current && current.id === lastSignal.releaseId
        ? { ...current, state: lastSignal.state, weights: lastSignal.weights }
        : current,
    );
    reload();
  }, [lastSignal, reload]);

  useEffect(() => {
    const timer = setInterval(
      () => {
        if (typeof document !== 'undefined' && document.hidden) return;
        reload();
      },
      isSignalsAvailable ? POLL_WITH_SIGNALS_MS : POLL_WITHOUT_SIGNALS_MS,
    );
    return () => clearInterval(timer);
  }, [reload, isSignalsAvailable]);

  return { release, loading, error, live: isSignalsAvailable, reload, replace };
}
