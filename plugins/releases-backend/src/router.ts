import express from 'express';
import Router from 'express-promise-router';
import {
  AuditorService,
  AuditorServiceEvent,
  BackstageCredentials,
  HttpAuthService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { RELEASE_EVENTS } from './auditor/events';
import { ReleaseAction } from './domain/machine';
import { parseTrafficPolicy } from './domain/trafficPolicy';
import {
  AuthorizedReleaseService,
  actorOf,
} from './service/AuthorizedReleaseService';

export interface RouterOptions {
  service: AuthorizedReleaseService;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
}

const stepSchema = z
  .object({
    weight: z.number().int().min(0).max(100),
    pause: z
      .object({ seconds: z.number().int().min(0).max(604800) })
      .strict()
      .optional(),
    approval: z.boolean().optional(),
    analysis: z.boolean().optional(),
  })
  .strict();

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,100}$/, 'letters, digits and "-" only');

const createSchema = z
  .object({
    image: z.string().min(1).max(512),
    strategy: z.enum(['rolling', 'canary', 'blue-green']),
    steps: z.array(stepSchema).min(1).max(20).optional(),
    breakGlass: z
      .object({ justification: z.string().trim().min(10).max(2000) })
      .strict()
      .optional(),
    routing: z
      .object({
        header: z
          .object({ name: headerName, value: z.string().min(1).max(200) })
          .strict()
          .optional(),
        cookie: z
          .object({
            name: z
              .string()
              .regex(
                /^[A-Za-z0-9_-]{1,100}$/,
                'letters, digits, "_" and "-" only',
              ),
            value: z
              .string()
              .regex(
                /^[A-Za-z0-9_.-]{1,200}$/,
                'letters, digits, "_", "." and "-" only',
              ),
          })
          .strict()
          .optional(),
        mirrorPercent: z.number().min(0).max(100).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const reasonSchema = z
  .object({
    reason: z
      .string()
      .trim()
      .min(3, 'give a reason (at least 3 characters)')
      .max(2000),
  })
  .strict();

const promoteSchema = z.object({ full: z.boolean().optional() }).strict();

const listSchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).optional(),
    cursor: z.string().min(1).max(500).optional(),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(
      `invalid ${what}${
        issue.path.length ? ` at ${issue.path.join('.')}` : ''
      }: ${issue.message}`,
    );
  }
  return result.data;
}

const ACTION_EVENTS: Record<
  ReleaseAction['type'],
  { eventId: string; severityLevel: 'medium' | 'high' }
> = {
  approve: { eventId: RELEASE_EVENTS.approve, severityLevel: 'medium' },
  reject: { eventId: RELEASE_EVENTS.reject, severityLevel: 'medium' },
  promote: { eventId: RELEASE_EVENTS.promote, severityLevel: 'high' },
  pause: { eventId: RELEASE_EVENTS.pause, severityLevel: 'medium' },
  resume: { eventId: RELEASE_EVENTS.resume, severityLevel: 'medium' },
  rollback: { eventId: RELEASE_EVENTS.rollback, severityLevel: 'high' },
  'switch-back': { eventId: RELEASE_EVENTS.switchBack, severityLevel: 'high' },
};

async function audited<T>(
  event: AuditorServiceEvent,
  run: () => Promise<T>,
  meta?: (result: T) => Record<string, unknown>,
): Promise<T> {
  try {
    const result = await run();
    await event.success(meta ? { meta: meta(result) as any } : undefined);
    return result;
  } catch (error) {
    await event.fail({ error: error as Error });
    throw error;
  }
}

/**
 * `/api/releases`: thin routes. Credentials (401) → input (400) → the
 * entity or release (404) → the audit event (high severity is written first,
 * 503 when the trail cannot) → authorization (403) and the action → JSON.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { service, httpAuth, auditor } = options;
  const router = Router();
  router.use(express.json({ limit: '256kb' }));

  const anyone = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });
  // Approvals, rejections and break-glass are decisions of people.
  const person = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user'] });

  const entityOf = (req: express.Request, credentials: BackstageCredentials) =>
    service.entity(
      {
        kind: req.params.kind,
        namespace: req.params.namespace,
        name: req.params.name,
      },
      credentials,
    );

  const E = '/entities/:kind/:namespace/:name';

  router.get(`${E}/options`, async (req, res) => {
    const credentials = await anyone(req);
    const entity = await entityOf(req, credentials);
    res.json(await service.getOptions(entity, credentials));
  });

  router.get(`${E}/releases`, async (req, res) => {
    const credentials = await anyone(req);
    const query = parse(listSchema, req.query, 'query');
    const entity = await entityOf(req, credentials);
    res.json(
      await service.list(
        entity,
        { limit: query.limit ?? 20, cursor: query.cursor },
        credentials,
      ),
    );
  });

  router.get(`${E}/releases/current`, async (req, res) => {
    const credentials = await anyone(req);
    const entity = await entityOf(req, credentials);
    res.json(await service.current(entity, credentials));
  });

  router.post(`${E}/releases`, async (req, res) => {
    const body = parse(createSchema, req.body, 'release request');
    const credentials = body.breakGlass ? await person(req) : await anyone(req);
    const entity = await entityOf(req, credentials);
    const entityRef = stringifyEntityRef(entity);
    const event = await auditor.createEvent({
      eventId: body.breakGlass
        ? RELEASE_EVENTS.breakGlass
        : RELEASE_EVENTS.create,
      severityLevel: body.breakGlass ? 'high' : 'medium',
      request: req,
      meta: {
        entityRef,
        image: body.image,
        strategy: body.strategy,
        ...(body.breakGlass
          ? { justification: body.breakGlass.justification }
          : {}),
      },
    });
    const release = await audited(
      event,
      () => service.create(entity, body, credentials),
      r => ({ releaseId: r.id, state: r.state }),
    );
    res.status(201).json(release);
  });

  router.get('/releases/:id', async (req, res) => {
    const credentials = await anyone(req);
    res.json(await service.get(req.params.id, credentials));
  });

  for (const type of Object.keys(ACTION_EVENTS) as ReleaseAction['type'][]) {
    router.post(`/releases/:id/${type}`, async (req, res) => {
      const decision = type === 'approve' || type === 'reject';
      const credentials = decision ? await person(req) : await anyone(req);
      let action: ReleaseAction;
      const by = actorOf(credentials).ref;
      if (type === 'promote') {
        action = {
          type,
          by,
          full: Boolean(parse(promoteSchema, req.body, 'request').full),
        };
      } else if (type === 'pause' || type === 'resume') {
        parse(z.object({}).strict(), req.body, 'request');
        action = { type, by };
      } else {
        action = {
          type,
          by,
          reason: parse(reasonSchema, req.body, 'request').reason,
        };
      }
      const entityRef = await service.releaseEntityRef(req.params.id);
      const event = await auditor.createEvent({
        ...ACTION_EVENTS[type],
        request: req,
        meta: {
          entityRef,
          releaseId: req.params.id,
          ...('reason' in action ? { reason: action.reason } : {}),
          ...(type === 'promote' ? { full: (action as any).full } : {}),
        },
      });
      const release = await audited(
        event,
        () => service.act(req.params.id, action, credentials),
        r => ({ state: r.state, step: r.currentStep, weights: r.weights }),
      );
      res.json(release);
    });
  }

  router.get(`${E}/traffic-policy`, async (req, res) => {
    const credentials = await anyone(req);
    const entity = await entityOf(req, credentials);
    res.json(await service.trafficPolicy(entity, credentials));
  });

  router.post(`${E}/traffic-policy/lint`, async (req, res) => {
    const credentials = await anyone(req);
    const policy = parseTrafficPolicy(req.body);
    const entity = await entityOf(req, credentials);
    res.json(await service.lintPolicy(entity, policy, credentials));
  });

  router.post(`${E}/traffic-policy`, async (req, res) => {
    const credentials = await anyone(req);
    const policy = parseTrafficPolicy(req.body);
    const entity = await entityOf(req, credentials);
    const event = await auditor.createEvent({
      eventId: RELEASE_EVENTS.policyPropose,
      severityLevel: 'medium',
      request: req,
      meta: {
        entityRef: stringifyEntityRef(entity),
        policy: policy as any,
      },
    });
    const proposal = await audited(
      event,
      () => service.proposePolicy(entity, policy, credentials),
      p => ({ proposalId: p.id }),
    );
    res.status(201).json(proposal);
  });

  router.post('/traffic-policies/:id/approve', async (req, res) => {
    const credentials = await person(req);
    const { reason } = parse(reasonSchema, req.body, 'request');
    const entityRef = await service.policyEntityRef(req.params.id);
    const event = await auditor.createEvent({
      eventId: RELEASE_EVENTS.policyApprove,
      severityLevel: 'high',
      request: req,
      meta: { entityRef, proposalId: req.params.id, reason },
    });
    const proposal = await audited(
      event,
      () =>
        service.approvePolicy(req.params.id, reason, credentials, ref =>
          service.entity(parseEntityRef(ref), credentials),
        ),
      p => ({ state: p.state }),
    );
    res.json(proposal);
  });

  router.post('/traffic-policies/:id/revert', async (req, res) => {
    const credentials = await anyone(req);
    const { reason } = parse(reasonSchema, req.body, 'request');
    const entityRef = await service.policyEntityRef(req.params.id);
    const event = await auditor.createEvent({
      eventId: RELEASE_EVENTS.policyRevert,
      severityLevel: 'high',
      request: req,
      meta: { entityRef, proposalId: req.params.id, reason },
    });
    const proposal = await audited(
      event,
      () => service.revertPolicy(req.params.id, credentials),
      p => ({ state: p.state }),
    );
    res.json(proposal);
  });

  return router;
}
