import { useEffect, useRef } from 'react';
import { useSignal } from '@backstage/plugin-signals-react';
import {
  BuildsSignal,
  buildsSignalChannel,
} from '@fincloud/plugin-builds-common';

/** Polling while a build is active and the portal has no signals. */
export const POLL_MS = 5_000;
/**
 * With signals, a slower safety net: a signal is best-effort (a dropped
 * connection loses it), and a build page left open must still end right.
 */
export const SAFETY_POLL_MS = 15_000;

/**
 * Calls `onUpdate` when the backend signals a change of one of the entity's
 * builds (`fincloud-builds:<entityRef>`), and every 5 s while `active` when
 * the portal has no signals (15 s when it has).
 */
export function useBuildUpdates(
  entityRef: string,
  options: { active: boolean; onUpdate: (signal?: BuildsSignal) => void },
) {
  const { lastSignal, isSignalsAvailable } = useSignal<
    BuildsSignal & { [key: string]: string }
  >(buildsSignalChannel(entityRef));
  const onUpdate = useRef(options.onUpdate);
  onUpdate.current = options.onUpdate;

  useEffect(() => {
    if (lastSignal) onUpdate.current(lastSignal);
  }, [lastSignal]);

  const { active } = options;
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(
      () => onUpdate.current(),
      isSignalsAvailable ? SAFETY_POLL_MS : POLL_MS,
    );
    return () => clearInterval(timer);
  }, [active, isSignalsAvailable]);

  return { isSignalsAvailable };
}
