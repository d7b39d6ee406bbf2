/*
 * A real Backstage backend for the kill test: Backstage's createBackend with
 * the fincloud auditor (and its audit store from config, spool included) and
 * one capability whose action is audited. Started with
 * `node --require @backstage/cli/config/nodeTransform.cjs auditedBackend.ts --config <file>`.
 */
import { createBackend } from '@backstage/backend-defaults';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import Router from 'express-promise-router';
import { fincloudAuditorServiceFactory } from '@fincloud/plugin-audit-node';

const payments = createBackendPlugin({
  pluginId: 'payments',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        auditor: coreServices.auditor,
      },
      async init({ httpRouter, auditor }) {
        const router = Router();
        router.get('/ready', (_req, res) => {
          res.json({ pid: process.pid });
        });
        router.post('/act/:n', async (req, res) => {
          const n = Number(req.params.n);
          const event = await auditor.createEvent({
            eventId: 'payment-approve',
            severityLevel: req.query.severity === 'medium' ? 'medium' : 'low',
            request: req,
            meta: { n },
          });
          await event.success({ meta: { approved: true } });
          res.json({ n });
        });
        httpRouter.use(router);
        httpRouter.addAuthPolicy({ path: '/', allow: 'unauthenticated' });
      },
    });
  },
});

const backend = createBackend();
backend.add(fincloudAuditorServiceFactory);
backend.add(payments);
backend.start();
