import {
  BuildStatus,
  buildsSignalChannel,
} from '@fincloud/plugin-builds-common';
import type { SignalsService } from '@backstage/plugin-signals-node';

/** Tells the UI that a build changed (status, steps, or new log lines). */
export interface BuildEvents {
  changed(build: { id: string; entityRef: string; status: BuildStatus }): void;
  /** New log lines; throttled to one signal per build per interval. */
  progressed(build: {
    id: string;
    entityRef: string;
    status: BuildStatus;
  }): void;
}

/**
 * Publishes `{ buildId, status }` on `fincloud-builds:<entityRef>` through
 * Backstage signals. Only ids and statuses travel, never log text; the UI
 * refetches through the permission-checked API.
 */
export class SignalsBuildEvents implements BuildEvents {
  private readonly lastProgress = new Map<string, number>();

  constructor(
    private readonly signals: SignalsService | undefined,
    private readonly progressIntervalMs = 1000,
  ) {}

  changed(build: { id: string; entityRef: string; status: BuildStatus }) {
    this.publish(build);
  }

  progressed(build: { id: string; entityRef: string; status: BuildStatus }) {
    const now = Date.now();
    const last = this.lastProgress.get(build.id) ?? 0;
    if (now - last < this.progressIntervalMs) return;
    this.lastProgress.set(build.id, now);
    if (this.lastProgress.size > 10_000) this.lastProgress.clear();
    this.publish(build);
  }

  private publish(build: {
    id: string;
    entityRef: string;
    status: BuildStatus;
  }) {
    if (!this.signals) return;
    this.signals
      .publish({
        recipients: { type: 'broadcast' },
        channel: buildsSignalChannel(build.entityRef),
        message: { buildId: build.id, status: build.status },
      })
      .catch(() => {
        // Signals are a hint; the UI polls while a build is active.
      });
  }
}
