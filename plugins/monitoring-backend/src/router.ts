import express from 'express';
import Router from 'express-promise-router';
import { AuditorService, HttpAuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  ALERT_GROUP_BY,
  MAX_RULE_FOR_MINUTES,
  MAX_SILENCE_MINUTES,
  NOISE_WINDOWS,
} from '@fincloud/plugin-monitoring-common';
import { z } from 'zod';
import { MONITORING_EVENTS } from './auditor/events';
import { LABEL_NAME } from './promql/escape';
import { MonitoringService } from './service/types';

export interface RouterOptions {
  service: MonitoringService;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues
      .map(i => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
      .join('; ');
    throw new InputError(`Invalid ${where}: ${issues}`);
  }
  return result.data;
}

const unixMs = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a unix time in milliseconds')
  .transform(Number);

const dashboardQuery = z
  .object({
    from: unixMs,
    to: unixMs,
    step: z
      .string()
      .regex(/^\d{1,6}$/, 'must be whole seconds')
      .transform(Number)
      .refine(n => n >= 1 && n <= 86400, 'must be from 1 to 86400 seconds')
      .optional(),
    version: z
      .string()
      .regex(
        /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
        'must be a label value such as v2',
      )
      .optional(),
  })
  .strict();

const matcher = z
  .object({
    name: z.string().regex(LABEL_NAME, 'must be a label name'),
    value: z.string().max(1024),
    isRegex: z.boolean(),
    isEqual: z.boolean(),
  })
  .strict();

const createSilenceBody = z
  .object({
    alertFingerprint: z
      .string()
      .regex(/^[0-9a-f]{16}$/, 'must be an alert fingerprint (16 hex digits)')
      .optional(),
    matchers: z.array(matcher).max(20).optional(),
    durationMinutes: z
      .number()
      .int('must be whole minutes')
      .min(1)
      .max(MAX_SILENCE_MINUTES),
    comment: z
      .string()
      .trim()
      .min(1, 'say why (a comment is required)')
      .max(1000),
  })
  .strict();

const ruleSpecBody = z
  .object({
    name: z.string().min(1).max(200),
    metric: z.string().min(1).max(100),
    comparison: z.enum(['>', '>=', '<', '<=']),
    threshold: z.number().finite(),
    forMinutes: z.number().int().min(0).max(MAX_RULE_FOR_MINUTES),
    severity: z.enum(['critical', 'warning', 'info']),
    summary: z.string().max(500).optional(),
  })
  .strict();

const alertsQuery = z
  .object({
    groupBy: z.enum(ALERT_GROUP_BY).default('owner'),
    severity: z
      .string()
      .max(200)
      .transform(s =>
        s
          .split(',')
          .map(x => x.trim())
          .filter(Boolean),
      )
      .optional(),
    q: z.string().max(200).optional(),
  })
  .strict();

const noiseQuery = z
  .object({ window: z.enum(NOISE_WINDOWS).default('24h') })
  .strict();

const silenceId = z
  .string()
  .regex(/^[0-9a-fA-F-]{8,64}$/, 'must be a silence id');

/** `name="value"`, `name!~"regex"`: how a matcher reads in the audit trail. */
function matcherText(m: {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}) {
  let op: string;
  if (m.isRegex) op = m.isEqual ? '=~' : '!~';
  else op = m.isEqual ? '=' : '!=';
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}

function entityRefOf(req: express.Request): string {
  const { kind, namespace, name } = req.params;
  if (!kind || !namespace || !name) throw new InputError('entity ref missing');
  return stringifyEntityRef({ kind, namespace, name });
}

function parseRef(value: unknown): string {
  if (typeof value !== 'string' || !value) {
    throw new InputError('entityRef is required');
  }
  try {
    return stringifyEntityRef(parseEntityRef(value));
  } catch (error) {
    throw new InputError(`entityRef: ${(error as Error).message}`);
  }
}

/**
 * `/api/monitoring`: validate → credentials → (audit, for writes) →
 * service (which checks the permission) → JSON.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { service, httpAuth, auditor } = options;
  const router = Router();
  router.use(express.json({ limit: '64kb' }));

  const credentialsOf = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  const entity = '/entities/:kind/:namespace/:name';

  router.get(`${entity}/dashboard`, async (req, res) => {
    const credentials = await credentialsOf(req);
    const query = parse(dashboardQuery, req.query, 'dashboard query');
    res.json(await service.dashboard(entityRefOf(req), query, { credentials }));
  });

  router.get(`${entity}/alerts`, async (req, res) => {
    const credentials = await credentialsOf(req);
    parse(z.object({}).strict(), req.query, 'query');
    res.json(await service.alerts(entityRefOf(req), { credentials }));
  });

  router.get(`${entity}/silences`, async (req, res) => {
    const credentials = await credentialsOf(req);
    parse(z.object({}).strict(), req.query, 'query');
    res.json(await service.silences(entityRefOf(req), { credentials }));
  });

  router.post(`${entity}/silences`, async (req, res) => {
    const credentials = await credentialsOf(req);
    const entityRef = entityRefOf(req);
    const body = parse(createSilenceBody, req.body, 'silence');
    const event = await auditor.createEvent({
      eventId: MONITORING_EVENTS.silenceCreate,
      severityLevel: 'medium',
      request: req,
      meta: {
        entityRef,
        durationMinutes: body.durationMinutes,
        comment: body.comment,
        ...(body.alertFingerprint
          ? { alertFingerprint: body.alertFingerprint }
          : {}),
        ...(body.matchers
          ? { requestedMatchers: body.matchers.map(matcherText) }
          : {}),
      },
    });
    try {
      const silence = await service.createSilence(entityRef, body, {
        credentials,
      });
      await event.success({
        meta: {
          silenceId: silence.id,
          matchers: silence.matchers.map(matcherText),
          endsAt: silence.endsAt,
        },
      });
      res.status(201).json(silence);
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  router.delete('/silences/:id', async (req, res) => {
    const credentials = await credentialsOf(req);
    const id = parse(silenceId, req.params.id, 'silence id');
    const { entityRef: rawRef, ...rest } = req.query;
    if (Object.keys(rest).length > 0) {
      throw new InputError(
        `Unknown query parameters: ${Object.keys(rest).join(', ')}`,
      );
    }
    const entityRef = parseRef(rawRef);
    const event = await auditor.createEvent({
      eventId: MONITORING_EVENTS.silenceExpire,
      severityLevel: 'medium',
      request: req,
      meta: { entityRef, silenceId: id },
    });
    try {
      const expired = await service.expireSilence(id, entityRef, {
        credentials,
      });
      await event.success({
        meta: { matchers: (expired?.matchers ?? []).map(matcherText) },
      });
      res.status(204).end();
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  router.get(`${entity}/rules`, async (req, res) => {
    const credentials = await credentialsOf(req);
    parse(z.object({}).strict(), req.query, 'query');
    res.json(await service.rules(entityRefOf(req), { credentials }));
  });

  router.post(`${entity}/rules/preview`, async (req, res) => {
    const credentials = await credentialsOf(req);
    const spec = parse(ruleSpecBody, req.body, 'alert rule');
    res.json(
      await service.previewRule(entityRefOf(req), spec, { credentials }),
    );
  });

  router.put(`${entity}/rules/:rule`, async (req, res) => {
    const credentials = await credentialsOf(req);
    const entityRef = entityRefOf(req);
    const spec = parse(ruleSpecBody, req.body, 'alert rule');
    if (spec.name !== req.params.rule) {
      throw new InputError(
        `the rule in the path (${req.params.rule}) and in the body (${spec.name}) differ`,
      );
    }
    const event = await auditor.createEvent({
      eventId: MONITORING_EVENTS.ruleWrite,
      severityLevel: 'medium',
      request: req,
      meta: { entityRef, rule: spec },
    });
    try {
      const written = await service.putRule(entityRef, spec, { credentials });
      await event.success({
        meta: { expr: written.expr, created: written.created },
      });
      res.status(written.created ? 201 : 200).json(written.spec);
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  router.delete(`${entity}/rules/:rule`, async (req, res) => {
    const credentials = await credentialsOf(req);
    const entityRef = entityRefOf(req);
    const name = req.params.rule;
    const event = await auditor.createEvent({
      eventId: MONITORING_EVENTS.ruleDelete,
      severityLevel: 'medium',
      request: req,
      meta: { entityRef, rule: name },
    });
    try {
      await service.deleteRule(entityRef, name, { credentials });
      await event.success();
      res.status(204).end();
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  router.get('/alerts', async (req, res) => {
    const credentials = await credentialsOf(req);
    const query = parse(alertsQuery, req.query, 'alerts query');
    res.json(await service.alertCenter(query, { credentials }));
  });

  router.get('/noise', async (req, res) => {
    const credentials = await credentialsOf(req);
    const { window } = parse(noiseQuery, req.query, 'noise query');
    res.json(await service.noise(window, { credentials }));
  });

  return router;
}
