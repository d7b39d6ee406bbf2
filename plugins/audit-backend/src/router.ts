import express from 'express';
import Router from 'express-promise-router';
import {
  AuditorService,
  HttpAuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  AuditStore,
  auditCsvHeader,
  auditItemToCsv,
  auditItemToJsonl,
} from '@fincloud/plugin-audit-node';
import { AUDIT_ROUTES } from '@fincloud/plugin-audit-common';
import { AUDIT_EVENTS } from './auditor/events';
import { AuditAccess } from './service/AuditAccess';
import { parseEventsQuery, parseExportQuery } from './service/parseQuery';
import { VerifyCache } from './service/VerifyCache';

export interface RouterOptions {
  store: AuditStore;
  access: AuditAccess;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  logger: LoggerService;
  verifyCache: VerifyCache;
}

/** Writes a chunk, waiting for the socket to drain; false when the client left. */
function write(res: express.Response, chunk: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise(resolve => {
    function onDrain() {
      res.off('close', onClose);
      resolve(true);
    }
    function onClose() {
      res.off('drain', onDrain);
      resolve(false);
    }
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { store, access, httpAuth, auditor, verifyCache } = options;
  const router = Router();

  router.get(AUDIT_ROUTES.events, async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const query = parseEventsQuery(req.query as Record<string, unknown>);
    const scope = await access.authorizeQuery(credentials, query);
    const event = await auditor.createEvent({
      eventId: AUDIT_EVENTS.eventsRead,
      severityLevel: 'low',
      request: req,
      meta: {
        scope,
        query: { ...query } as Record<string, any>,
        ...(query.entityRef ? { entityRef: query.entityRef } : {}),
      },
    });
    try {
      const page = await store.query(query);
      await event.success({ meta: { returned: page.items.length } });
      res.json(page);
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  router.get(AUDIT_ROUTES.export, async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { format, query } = parseExportQuery(
      req.query as Record<string, unknown>,
    );
    await access.authorizeExport(credentials);
    // High severity: committed before a byte leaves, or 503 and no export.
    const event = await auditor.createEvent({
      eventId: AUDIT_EVENTS.eventsExport,
      severityLevel: 'high',
      request: req,
      meta: {
        format,
        query: { ...query } as Record<string, any>,
        ...(query.entityRef ? { entityRef: query.entityRef } : {}),
      },
    });
    let records = 0;
    let links = 0;
    try {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      res.status(200);
      res.setHeader(
        'Content-Type',
        format === 'csv'
          ? 'text/csv; charset=utf-8'
          : 'application/x-ndjson; charset=utf-8',
      );
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="fincloud-audit-${stamp}.${format}"`,
      );
      res.setHeader('Cache-Control', 'no-store');
      const toText = format === 'csv' ? auditItemToCsv : auditItemToJsonl;
      if (format === 'csv' && !(await write(res, auditCsvHeader()))) {
        throw new Error('client closed the connection');
      }
      const items = store.export({ query, checkpointFirst: true });
      for await (const item of items) {
        if (item.type === 'record') records += 1;
        if (item.type === 'link') links += 1;
        if (!(await write(res, toText(item)))) {
          await items.return(undefined);
          throw new Error('client closed the connection');
        }
      }
      await event.success({ meta: { records, links } });
      res.end();
    } catch (error) {
      await event.fail({ error: error as Error, meta: { records, links } });
      if (!res.headersSent) throw error;
      options.logger.warn(
        `Audit export ended early: ${(error as Error).message}`,
      );
      res.destroy(error as Error);
    }
  });

  router.get(AUDIT_ROUTES.verify, async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    await access.authorizeVerify(credentials);
    const event = await auditor.createEvent({
      eventId: AUDIT_EVENTS.chainVerify,
      severityLevel: 'low',
      request: req,
    });
    try {
      const result = await verifyCache.get();
      await event.success({
        meta: {
          ok: result.ok,
          checked: result.checked,
          ...(result.firstBroken ? { firstBroken: result.firstBroken } : {}),
        },
      });
      res.json(result);
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  return router;
}
