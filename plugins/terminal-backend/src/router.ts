import express from 'express';
import Router from 'express-promise-router';
import {
  AuditorService,
  HttpAuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { TERMINAL_EVENTS } from './auditor/events';
import { AuthorizedTerminalService } from './service/AuthorizedTerminalService';

export interface RouterOptions {
  service: AuthorizedTerminalService;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  logger: LoggerService;
  /** Runs first on every request (the WebSocket endpoint hooks the HTTP server there). */
  upgradeMiddleware?: express.RequestHandler;
}

const SEGMENT = z.string().min(1).max(253);

function entityRefOf(params: Record<string, string>): string {
  const parsed = z
    .object({ kind: SEGMENT, namespace: SEGMENT, name: SEGMENT })
    .safeParse(params);
  if (!parsed.success) throw new InputError('Invalid entity reference');
  const { kind, namespace, name } = parsed.data;
  return `${kind}:${namespace}/${name}`.toLocaleLowerCase('en-US');
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InputError(
      `Invalid ${what}: ${result.error.issues
        .map(i => `${i.path.join('.') || what}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return result.data;
}

const SESSIONS_QUERY = z.object({
  entityRef: z.string().min(3).max(512).optional(),
  user: z.string().min(3).max(512).optional(),
  mode: z.enum(['restricted', 'shell']).optional(),
  live: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

const ID = z.string().uuid();

/** The terminal's HTTP API under `/api/terminal` (the WebSocket is `/ws`). */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { service, httpAuth, auditor } = options;
  const router = Router();
  if (options.upgradeMiddleware) router.use(options.upgradeMiddleware);
  router.use(express.json({ limit: '64kb' }));

  const user = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/entities/:kind/:namespace/:name/targets', async (req, res) => {
    const credentials = await user(req);
    res.json(await service.targets(entityRefOf(req.params), credentials));
  });

  router.get('/entities/:kind/:namespace/:name/policy', async (req, res) => {
    const credentials = await user(req);
    res.json(await service.policy(entityRefOf(req.params), credentials));
  });

  router.post('/entities/:kind/:namespace/:name/check', async (req, res) => {
    const credentials = await user(req);
    const entityRef = entityRefOf(req.params);
    const { line } = parse(
      z.object({ line: z.string().max(65536) }),
      req.body,
      'body',
    );
    const decision = await service.check(entityRef, line, credentials);
    const event = await auditor.createEvent({
      eventId: TERMINAL_EVENTS.check,
      severityLevel: 'low',
      request: req,
      meta: { entityRef, allowed: decision.allowed, rule: decision.rule },
    });
    await event.success();
    res.json(decision);
  });

  router.get('/sessions', async (req, res) => {
    const credentials = await user(req);
    const q = parse(SESSIONS_QUERY, req.query, 'query');
    const query = {
      ...q,
      live: q.live === undefined ? undefined : q.live === 'true',
    };
    const { page, scope } = await service.listSessions(query, credentials);
    const event = await auditor.createEvent({
      eventId: TERMINAL_EVENTS.sessionsRead,
      severityLevel: 'low',
      request: req,
      meta: {
        scope,
        returned: page.items.length,
        ...(q.entityRef ? { entityRef: q.entityRef } : {}),
      },
    });
    await event.success();
    res.json(page);
  });

  router.get('/sessions/:id', async (req, res) => {
    const credentials = await user(req);
    const id = parse(ID, req.params.id, 'session id');
    res.json(await service.getSession(id, credentials));
  });

  router.get('/sessions/:id/commands', async (req, res) => {
    const credentials = await user(req);
    const id = parse(ID, req.params.id, 'session id');
    const { session, log } = await service.commands(id, credentials);
    const event = await auditor.createEvent({
      eventId: TERMINAL_EVENTS.sessionsRead,
      severityLevel: 'low',
      request: req,
      meta: { entityRef: session.entityRef, sessionId: id, what: 'commands' },
    });
    await event.success();
    res.json(log);
  });

  router.get('/sessions/:id/recording', async (req, res) => {
    const credentials = await user(req);
    const id = parse(ID, req.params.id, 'session id');
    const { session, chunks } = await service.recording(id, credentials);
    // Replaying a session shows what was typed: who watched is recorded.
    const event = await auditor.createEvent({
      eventId: TERMINAL_EVENTS.recordingRead,
      severityLevel: 'medium',
      request: req,
      meta: { entityRef: session.entityRef, sessionId: id, user: session.user },
    });
    res.status(200);
    res.setHeader('Content-Type', 'application/x-asciicast');
    res.setHeader(
      'Content-Disposition',
      `inline; filename="terminal-${id}.cast"`,
    );
    res.setHeader('Cache-Control', 'no-store');
    try {
      for await (const chunk of chunks) {
        if (!res.write(chunk)) {
          await new Promise(resolve => res.once('drain', resolve));
        }
      }
      res.end();
      await event.success();
    } catch (error) {
      await event.fail({ error: error as Error });
      res.destroy(error as Error);
    }
  });

  router.post('/sessions/:id/terminate', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const id = parse(ID, req.params.id, 'session id');
    const { reason } = parse(
      z.object({ reason: z.string().trim().min(1).max(1000) }),
      req.body ?? {},
      'body',
    );
    const session = await service.authorizeTerminate(id, credentials);
    const by =
      credentials.principal.type === 'user'
        ? (credentials.principal as { userEntityRef: string }).userEntityRef
        : `service:${(credentials.principal as { subject?: string }).subject ?? 'unknown'}`;
    const event = await auditor.createEvent({
      eventId: TERMINAL_EVENTS.terminate,
      severityLevel: 'high',
      request: req,
      meta: {
        entityRef: session.entityRef,
        sessionId: id,
        sessionUser: session.user,
        reason,
        wasLive: session.live,
      },
    });
    try {
      const summary = await service.terminate(session, by, reason);
      await event.success({ meta: { live: summary.live, endReason: summary.endReason } });
      res.json(summary);
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  return router;
}
