import request from 'supertest';
import Router from 'express-promise-router';
import {
  LoggerService,
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuditEventInput, AuditStore } from '../store/types';
import { auditStoreServiceRef } from './auditStoreServiceRef';
import { fincloudAuditorServiceFactory } from './fincloudAuditorServiceFactory';

/** Every logger call, as Backstage's default auditor makes them. */
const calls: Array<{
  level: string;
  message: string;
  fields: Record<string, unknown>;
}> = [];
function recordingLogger(fields: Record<string, unknown> = {}): LoggerService {
  const at = (level: string) => (message: string, meta?: any) => {
    calls.push({
      level,
      message,
      fields: {
        ...fields,
        ...(meta instanceof Error ? { error: meta.message } : meta),
      },
    });
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: more => recordingLogger({ ...fields, ...more }),
  };
}

const appended: AuditEventInput[] = [];
const store = {
  async append(e: AuditEventInput) {
    if (e.meta?.refuse) throw new Error('store down');
    appended.push(e);
  },
  async appendOutcome(e: AuditEventInput) {
    appended.push(e);
  },
} as unknown as AuditStore;

const plugin = createBackendPlugin({
  pluginId: 'releases',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        auditor: coreServices.auditor,
      },
      async init({ httpRouter, auditor }) {
        const router = Router();
        router.post('/promote', async (req, res) => {
          const event = await auditor.createEvent({
            eventId: 'release-promote',
            severityLevel: 'high',
            request: req,
            meta: {
              entityRef: 'Component:default/Payment-Gateway',
              refuse: req.query.refuse === '1',
            },
          });
          await event.fail({ error: new Error('quota exceeded') });
          res.json({});
        });
        httpRouter.use(router);
      },
    });
  },
});

describe('fincloudAuditorServiceFactory', () => {
  it("logs exactly like Backstage's default auditor and persists every record", async () => {
    const backend = await startTestBackend({
      features: [
        plugin,
        fincloudAuditorServiceFactory,
        createServiceFactory({
          service: auditStoreServiceRef,
          deps: {},
          factory: () => store,
        }),
        createServiceFactory({
          service: coreServices.logger,
          deps: {},
          factory: () => recordingLogger(),
        }),
      ],
    });
    try {
      const res = await request(backend.server)
        .post('/api/releases/promote')
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/paula'),
        );
      expect(res.status).toBe(200);

      // The default auditor's log lines: logger.child({ isAuditEvent: true }), level from
      // backend.auditor.severityLogLevelMappings (high → info), message plugin.eventId.
      const audit = calls.filter(c => c.fields.isAuditEvent);
      expect(audit.map(c => [c.level, c.message, c.fields.status])).toEqual([
        ['info', 'releases.release-promote', 'initiated'],
        ['info', 'releases.release-promote', 'failed'],
      ]);
      expect(audit[0].fields).toMatchObject({
        severityLevel: 'high',
        actor: { actorId: 'user:default/paula' },
      });

      expect(appended).toHaveLength(2);
      expect(appended[0]).toMatchObject({
        plugin: 'releases',
        eventId: 'release-promote',
        severity: 'high',
        status: 'initiated',
        actor: { type: 'user', ref: 'user:default/paula' },
        entityRef: 'Component:default/Payment-Gateway',
        request: { method: 'POST', path: '/api/releases/promote' },
      });
      expect(appended[1]).toMatchObject({
        status: 'failed',
        error: 'Error: quota exceeded',
        correlationId: appended[0].correlationId,
      });

      // When the store refuses the initiated record, the action does not start and nothing is logged.
      calls.length = 0;
      const refused = await request(backend.server)
        .post('/api/releases/promote?refuse=1')
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/paula'),
        );
      expect(refused.status).toBe(500);
      expect(appended).toHaveLength(2);
      expect(calls.filter(c => c.fields.isAuditEvent)).toEqual([]);
    } finally {
      await backend.stop();
    }
  });
});
