import { PropsWithChildren } from 'react';
import { act, renderHook } from '@testing-library/react';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { TestApiProvider } from '@backstage/test-utils';
import { FakeSignals } from '../__testUtils__/render';
import { POLL_MS, SAFETY_POLL_MS, useBuildUpdates } from './useBuildUpdates';

const UP = 'component:default/user-portal';

describe('useBuildUpdates', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('polls every 5 s while a build is active when the portal has no signals, and stops after', () => {
    const onUpdate = jest.fn();
    const wrapper = ({ children }: PropsWithChildren<{}>) => (
      <TestApiProvider apis={[]}>{children}</TestApiProvider>
    );
    const { rerender } = renderHook(
      ({ active }) => useBuildUpdates(UP, { active, onUpdate }),
      { wrapper, initialProps: { active: true } },
    );
    act(() => jest.advanceTimersByTime(POLL_MS - 1));
    expect(onUpdate).not.toHaveBeenCalled();
    act(() => jest.advanceTimersByTime(1));
    expect(onUpdate).toHaveBeenCalledTimes(1);
    act(() => jest.advanceTimersByTime(POLL_MS * 2));
    expect(onUpdate).toHaveBeenCalledTimes(3);

    rerender({ active: false });
    act(() => jest.advanceTimersByTime(POLL_MS * 10));
    expect(onUpdate).toHaveBeenCalledTimes(3);
  });

  it("re-reads on each signal of the entity's channel, with only a slow safety poll", () => {
    const onUpdate = jest.fn();
    const signals = new FakeSignals();
    const wrapper = ({ children }: PropsWithChildren<{}>) => (
      <TestApiProvider apis={[[signalApiRef, signals]]}>
        {children}
      </TestApiProvider>
    );
    const { unmount } = renderHook(
      () => useBuildUpdates(UP, { active: true, onUpdate }),
      { wrapper },
    );
    expect(signals.count(`fincloud-builds:${UP}`)).toBe(1);

    act(() =>
      signals.publish(`fincloud-builds:${UP}`, {
        buildId: 'b-1',
        status: 'running',
      }),
    );
    act(() =>
      signals.publish(`fincloud-builds:${UP}`, {
        buildId: 'b-1',
        status: 'running',
      }),
    );
    expect(onUpdate.mock.calls).toEqual([
      [{ buildId: 'b-1', status: 'running' }],
      [{ buildId: 'b-1', status: 'running' }],
    ]);
    // Another entity's channel is not ours.
    act(() =>
      signals.publish('fincloud-builds:component:default/risk-engine', {
        buildId: 'b-9',
        status: 'failed',
      }),
    );
    expect(onUpdate).toHaveBeenCalledTimes(2);

    act(() => jest.advanceTimersByTime(POLL_MS));
    expect(onUpdate).toHaveBeenCalledTimes(2);
    act(() => jest.advanceTimersByTime(SAFETY_POLL_MS - POLL_MS));
    expect(onUpdate).toHaveBeenCalledTimes(3);

    unmount();
    expect(signals.count(`fincloud-builds:${UP}`)).toBe(0);
  });
});
