import {
  ComponentType,
  createContext,
  lazy,
  Suspense,
  useContext,
} from 'react';
import { Progress } from '@backstage/core-components';
import { TerminalScreenProps } from './types';

const LazyXtermScreen = lazy(() =>
  import('./XtermScreen').then(m => ({ default: m.XtermScreen })),
);

const TerminalScreenContext =
  createContext<ComponentType<TerminalScreenProps>>(LazyXtermScreen);

/**
 * Provides the screen implementation; tests pass a headless xterm.js screen.
 * The portal never needs it (xterm.js is the default).
 */
export const TerminalScreenProvider = TerminalScreenContext.Provider;

/** A terminal screen: xterm.js, loaded on first use behind a progress bar. */
export function TerminalScreen(props: TerminalScreenProps) {
  const Screen = useContext(TerminalScreenContext);
  return (
    <Suspense fallback={<Progress />}>
      <Screen {...props} />
    </Suspense>
  );
}
