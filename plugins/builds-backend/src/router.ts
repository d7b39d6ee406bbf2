import express from 'express';
import Router from 'express-promise-router';
import {
  AuditorService,
  HttpAuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { InputError, serializeError } from '@backstage/errors';
import {
  BUILD_TYPES,
  BuildStatus,
  BuildType,
} from '@fincloud/plugin-builds-common';
import { JsonObject } from '@backstage/types';
import { z } from 'zod';
import { BUILDS_AUDIT_EVENTS } from './auditor/events';
import { BuildFilters } from './database/types';
import { MAX_DOCKERFILE_BYTES } from './dockerfiles/validate';
import { AuthorizedBuildsService } from './service/AuthorizedBuildsService';
import {
  DockerfileInvalidError,
  MAX_LOG_LINES_PER_READ,
} from './service/DefaultBuildsService';

export interface RouterOptions {
  service: AuthorizedBuildsService;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  logger: LoggerService;
}

const STATUSES: BuildStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
];

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

const listOf = <T extends string>(allowed: readonly T[], name: string) =>
  z
    .string()
    .transform(v =>
      v
        .split(',')
        .map(s => s.trim())
        .filter(Boolean),
    )
    .refine(v => v.every(s => allowed.includes(s as T)), {
      message: `${name} must be one or more of ${allowed.join(', ')}`,
    })
    .transform(v => v as T[]);

const isoTime = z
  .string()
  .refine(v => Number.isFinite(Date.parse(v)), 'must be an ISO 8601 time')
  .transform(v => Date.parse(v));

const listQuery = z
  .object({
    status: listOf(STATUSES, 'status').optional(),
    branch: z.string().min(1).max(255).optional(),
    triggeredBy: z.string().min(1).max(255).optional(),
    buildType: listOf(
      BUILD_TYPES as readonly BuildType[],
      'buildType',
    ).optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(200).optional(),
  })
  .strict();

const statsQuery = z
  .object({ window: z.enum(['7d', '30d', '90d']).default('7d') })
  .strict();

const triggerBody = z
  .object({
    branch: z.string().min(1).max(200),
    commit: z.string().min(7).max(40).optional(),
    buildType: z.enum(BUILD_TYPES as [BuildType, ...BuildType[]]).optional(),
    dockerfileRevision: z.number().int().min(1).optional(),
  })
  .strict();

const cancelBody = z
  .object({ reason: z.string().max(500).optional() })
  .strict();

const logQuery = z
  .object({
    fromLine: z.coerce.number().int().min(-MAX_LOG_LINES_PER_READ).default(0),
    lines: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_LOG_LINES_PER_READ)
      .default(500),
  })
  .strict();

const searchQuery = z
  .object({
    q: z.string().min(1).max(200),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

const dockerfileBody = z
  .object({
    content: z.string().min(1).max(MAX_DOCKERFILE_BYTES),
    message: z.string().trim().min(1).max(500),
  })
  .strict();

const validateBody = z
  .object({ content: z.string().max(MAX_DOCKERFILE_BYTES) })
  .strict();

const waiverBody = z
  .object({
    ruleIds: z.array(z.string().min(1).max(255)).min(1).max(100),
    reason: z.string().trim().min(1).max(2000),
    expiresAt: z.string(),
  })
  .strict();

const decisionBody = z
  .object({ reason: z.string().trim().min(1).max(2000) })
  .strict();

const ID = /^[0-9a-fA-F-]{1,64}$/;

function entityRefOf(req: express.Request): string {
  const { kind, namespace, name } = req.params;
  return `${kind}:${namespace}/${name}`.toLocaleLowerCase('en-US');
}

function idOf(req: express.Request): string {
  if (!ID.test(req.params.id)) {
    throw new InputError(`"${req.params.id}" is not an id`);
  }
  return req.params.id.toLowerCase();
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

/**
 * `/api/builds`: thin: validate → credentials → audit event → service
 * (which authorizes) → JSON. The routes are listed in the README.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { service, httpAuth, auditor } = options;
  const router = Router();
  router.use(express.json({ limit: '256kb' }));

  const credentialsOf = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  /** Runs an audited action: the event is created before the action starts. */
  async function audited<T>(
    req: express.Request,
    eventId: string,
    severityLevel: 'low' | 'medium' | 'high',
    meta: JsonObject,
    action: () => Promise<T>,
    resultMeta?: (result: T) => JsonObject,
  ): Promise<T> {
    const event = await auditor.createEvent({
      eventId,
      severityLevel,
      request: req,
      meta,
    });
    try {
      const result = await action();
      await event.success(
        resultMeta ? { meta: resultMeta(result) } : undefined,
      );
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  }

  const entity = '/entities/:kind/:namespace/:name';

  router.get(`${entity}/builds`, async (req, res) => {
    const credentials = await credentialsOf(req);
    const query = parse(listQuery, req.query, 'query');
    const filters: BuildFilters = {
      status: query.status,
      branch: query.branch,
      triggeredBy: query.triggeredBy,
      buildType: query.buildType,
      from: query.from,
      to: query.to,
    };
    res.json(
      await service.listBuilds(
        entityRefOf(req),
        filters,
        { limit: query.limit, cursor: query.cursor },
        credentials,
      ),
    );
  });

  router.get(`${entity}/stats`, async (req, res) => {
    const credentials = await credentialsOf(req);
    const { window } = parse(statsQuery, req.query, 'query');
    res.json(await service.getStats(entityRefOf(req), window, credentials));
  });

  router.get(`${entity}/config`, async (req, res) => {
    const credentials = await credentialsOf(req);
    res.json(await service.getConfig(entityRefOf(req), credentials));
  });

  router.post(`${entity}/builds`, async (req, res) => {
    const credentials = await credentialsOf(req);
    const body = parse(triggerBody, req.body ?? {}, 'body');
    const entityRef = entityRefOf(req);
    const build = await audited(
      req,
      BUILDS_AUDIT_EVENTS.buildTrigger,
      'medium',
      { entityRef, ...body },
      () => service.triggerBuild(entityRef, body, credentials),
      b => ({ buildId: b.id, buildNumber: b.number, buildType: b.buildType }),
    );
    res.status(201).json(build);
  });

  router.get('/builds/:id', async (req, res) => {
    const credentials = await credentialsOf(req);
    res.json(await service.getBuild(idOf(req), credentials));
  });

  router.post('/builds/:id/rerun', async (req, res) => {
    const credentials = await credentialsOf(req);
    const id = idOf(req);
    const entityRef = await service.entityOfBuild(id);
    const build = await audited(
      req,
      BUILDS_AUDIT_EVENTS.buildRerun,
      'medium',
      { entityRef, rerunOf: id },
      () => service.rerun(id, credentials),
      b => ({ buildId: b.id, buildNumber: b.number }),
    );
    res.status(201).json(build);
  });

  router.post('/builds/:id/cancel', async (req, res) => {
    const credentials = await credentialsOf(req);
    const id = idOf(req);
    const { reason } = parse(cancelBody, req.body ?? {}, 'body');
    const entityRef = await service.entityOfBuild(id);
    const build = await audited(
      req,
      BUILDS_AUDIT_EVENTS.buildCancel,
      'medium',
      { entityRef, buildId: id, ...(reason ? { reason } : {}) },
      () => service.cancel(id, reason, credentials),
      b => ({ buildNumber: b.number }),
    );
    res.json(build);
  });

  router.get('/builds/:id/log', async (req, res) => {
    const credentials = await credentialsOf(req);
    const { fromLine, lines } = parse(logQuery, req.query, 'query');
    res.json(await service.readLog(idOf(req), fromLine, lines, credentials));
  });

  router.get('/builds/:id/log/search', async (req, res) => {
    const credentials = await credentialsOf(req);
    const { q, limit } = parse(searchQuery, req.query, 'query');
    res.json(await service.searchLog(idOf(req), q, limit, credentials));
  });

  router.get('/builds/:id/log/download', async (req, res) => {
    const credentials = await credentialsOf(req);
    const id = idOf(req);
    const entityRef = await service.entityOfBuild(id);
    const event = await auditor.createEvent({
      eventId: BUILDS_AUDIT_EVENTS.buildLogDownload,
      severityLevel: 'low',
      request: req,
      meta: { entityRef, buildId: id },
    });
    let lineCount = 0;
    try {
      const { build, lines } = await service.streamLog(id, credentials);
      const name = entityRef.split('/').pop() ?? 'build';
      res.status(200);
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="${name}-build-${build.number}.log"`,
      );
      res.setHeader('Cache-Control', 'no-store');
      for await (const chunk of lines) {
        lineCount += chunk.length;
        if (!(await write(res, `${chunk.join('\n')}\n`))) {
          await lines.return(undefined);
          throw new Error('client closed the connection');
        }
      }
      res.end();
      await event.success({ meta: { lines: lineCount } });
    } catch (error) {
      await event.fail({ error: error as Error, meta: { lines: lineCount } });
      if (!res.headersSent) throw error;
      res.destroy(error as Error);
    }
  });

  router.get(`${entity}/dockerfiles`, async (req, res) => {
    const credentials = await credentialsOf(req);
    res.json(await service.listDockerfiles(entityRefOf(req), credentials));
  });

  router.post(`${entity}/dockerfiles`, async (req, res) => {
    const credentials = await credentialsOf(req);
    const body = parse(dockerfileBody, req.body ?? {}, 'body');
    const entityRef = entityRefOf(req);
    const revision = await audited(
      req,
      BUILDS_AUDIT_EVENTS.dockerfileWrite,
      'medium',
      { entityRef, message: body.message, bytes: body.content.length },
      () => service.addDockerfile(entityRef, body, credentials),
      r => ({ revision: r.revision }),
    );
    res.status(201).json(revision);
  });

  router.post('/dockerfiles/validate', async (req, res) => {
    await credentialsOf(req);
    const { content } = parse(validateBody, req.body ?? {}, 'body');
    res.json({ diagnostics: service.validateDockerfile(content) });
  });

  router.get(`${entity}/waivers`, async (req, res) => {
    const credentials = await credentialsOf(req);
    res.json(await service.listWaivers(entityRefOf(req), credentials));
  });

  router.post(`${entity}/waivers`, async (req, res) => {
    const credentials = await credentialsOf(req);
    const body = parse(waiverBody, req.body ?? {}, 'body');
    const entityRef = entityRefOf(req);
    const waiver = await audited(
      req,
      BUILDS_AUDIT_EVENTS.waiverRequest,
      'medium',
      { entityRef, ...body },
      () => service.createWaiver(entityRef, body, credentials),
      w => ({ waiverId: w.id }),
    );
    res.status(201).json(waiver);
  });

  for (const [path, decision, eventId] of [
    ['approve', 'approved', BUILDS_AUDIT_EVENTS.waiverApprove],
    ['reject', 'rejected', BUILDS_AUDIT_EVENTS.waiverReject],
  ] as const) {
    router.post(`/waivers/:id/${path}`, async (req, res) => {
      // A human decision: service credentials may not approve.
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const id = idOf(req);
      const { reason } = parse(decisionBody, req.body ?? {}, 'body');
      const entityRef = await service.entityOfWaiver(id);
      const waiver = await audited(
        req,
        eventId,
        'high',
        { entityRef, waiverId: id, reason },
        () => service.decideWaiver(id, decision, reason, credentials),
        w => ({ ruleIds: w.ruleIds, requestedBy: w.requestedBy }),
      );
      res.json(waiver);
    });
  }

  // A Dockerfile with errors: 422 with the diagnostics in the error body.
  router.use(
    (
      error: Error,
      req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      if (!(error instanceof DockerfileInvalidError) || res.headersSent) {
        next(error);
        return;
      }
      res.status(422).json({
        error: { ...serializeError(error), diagnostics: error.diagnostics },
        request: { method: req.method, url: req.originalUrl },
        response: { statusCode: 422 },
      });
    },
  );

  return router;
}
