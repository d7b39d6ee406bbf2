import { Writable } from 'node:stream';
import * as winston from 'winston';
import { ConfigReader } from '@backstage/config';
import {
  AuditorService,
  AuthService,
  HttpAuthService,
} from '@backstage/backend-plugin-api';
import { auditorServiceFactory } from '@backstage/backend-defaults/auditor';
import { WinstonLogger } from '@backstage/backend-defaults/rootLogger';

/** A service's own credentials, as the auditor resolves them without a request. */
export const benchAuth = {
  async getOwnServiceCredentials() {
    return {
      $$type: '@backstage/BackstageCredentials',
      principal: { type: 'service', subject: 'plugin:bench' },
    };
  },
  isPrincipal(credentials: any, type: string) {
    return credentials.principal.type === type;
  },
} as unknown as AuthService;

export const benchHttpAuth = {} as HttpAuthService;

/**
 * Backstage's default auditor (log only), built by its own factory, logging
 * JSON through a real winston logger at level info (the backend default) to
 * a sink that discards the bytes after formatting.
 */
export async function defaultLogOnlyAuditor(): Promise<AuditorService> {
  const sink = new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
  const logger = WinstonLogger.create({
    level: 'info',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  const factory = (auditorServiceFactory as any).factory as (
    deps: unknown,
    ctx: unknown,
  ) => Promise<AuditorService>;
  return factory(
    {
      config: new ConfigReader({}),
      logger: logger.child({ plugin: 'bench' }),
      auth: benchAuth,
      httpAuth: benchHttpAuth,
      plugin: { getId: () => 'bench' },
    },
    undefined,
  );
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(
    sorted.length - 1,
    Math.ceil((p / 100) * sorted.length) - 1,
  );
  return sorted[Math.max(0, i)];
}

/**
 * Runs `total` audited actions (createEvent → success) with `concurrency`
 * concurrent callers; returns the latency of every call (ms) and the
 * elapsed time until `settle` resolved.
 */
export async function drive(options: {
  auditor: AuditorService;
  severity: 'low' | 'medium' | 'high' | 'critical';
  actions: number;
  concurrency: number;
  settle?: () => Promise<void>;
}) {
  const { auditor, severity, actions, concurrency } = options;
  const latencies: number[] = new Array(actions * 2);
  let next = 0;
  let k = 0;
  const start = process.hrtime.bigint();
  const worker = async () => {
    for (;;) {
      const n = next++;
      if (n >= actions) return;
      let t = process.hrtime.bigint();
      const event = await auditor.createEvent({
        eventId: 'payment-approve',
        severityLevel: severity,
        meta: {
          entityRef: 'component:default/payment-gateway',
          n,
          amount: { value: n * 10, currency: 'EUR' },
          reason: 'bench',
        },
      });
      latencies[k++] = Number(process.hrtime.bigint() - t) / 1e6;
      t = process.hrtime.bigint();
      await event.success({ meta: { approvedBy: 'user:default/paula' } });
      latencies[k++] = Number(process.hrtime.bigint() - t) / 1e6;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const appended = Number(process.hrtime.bigint() - start) / 1e9;
  await options.settle?.();
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    records: actions * 2,
    appendSeconds: appended,
    seconds: elapsed,
    recordsPerSecond: (actions * 2) / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
  };
}
