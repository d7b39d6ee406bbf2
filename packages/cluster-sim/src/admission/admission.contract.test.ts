import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { ClusterSim, startClusterSim } from '../testing/startClusterSim';
import { deployment, failure } from '../__testUtils__/client';

// Real HTTP round trips on a busy 2-core machine: allow more than Jest's 5 s.
jest.setTimeout(60_000);

function destinationRule(subsets: string[], name = 'payment-gateway') {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace: 'default' },
    spec: {
      host: 'payment-gateway',
      subsets: subsets.map(s => ({ name: s, labels: { version: s } })),
    },
  };
}

function virtualService(
  route: Array<{ subset: string; weight?: number }>,
  host = 'payment-gateway',
) {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'payment-gateway', namespace: 'default' },
    spec: {
      hosts: [host],
      http: [
        {
          route: route.map(r => ({
            destination: { host, subset: r.subset },
            ...(r.weight !== undefined ? { weight: r.weight } : {}),
          })),
        },
      ],
    },
  };
}

describe('admission: what a real cluster would refuse gets 422 with the field and what to change', () => {
  let sim: ClusterSim;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let objects: KubernetesObjectApi;

  beforeEach(async () => {
    sim = await startClusterSim({ manualClock: true });
    kc = sim.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    objects = KubernetesObjectApi.makeApiClient(kc);
  });

  afterEach(async () => {
    await sim.stop();
  });

  const raw = (
    method: string,
    path: string,
    body: unknown,
    contentType = 'application/json',
  ) =>
    fetch(`${sim.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${sim.token}`,
        'content-type': contentType,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('refuses names that are not DNS-1123 (subdomain for most kinds, label for namespaces, DNS-1035 for services)', async () => {
    const bad = await failure(
      apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('Payment_Gateway'),
      }),
    );
    expect(bad.code).toBe(422);
    expect(bad.status).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      details: { name: 'Payment_Gateway', group: 'apps', kind: 'Deployment' },
    });
    expect(bad.status.details.causes[0]).toMatchObject({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
    });
    expect(bad.status.message).toContain(
      'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters',
    );
    const ns = await failure(
      core.createNamespace({ body: { metadata: { name: 'team.payments' } } }),
    );
    expect(ns.status.details.causes[0].message).toContain('RFC 1123 label');
    const svc = await failure(
      core.createNamespacedService({
        namespace: 'default',
        body: { metadata: { name: '1api' }, spec: { ports: [{ port: 80 }] } },
      }),
    );
    expect(svc.status.details.causes[0].message).toContain('DNS-1035 label');
    expect(sim.store.list('apps/v1', 'Deployment')).toEqual([]);
  });

  it('refuses bad label keys and values and an object in a namespace that does not exist', async () => {
    const labels = await failure(
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: {
          metadata: { name: 'x', labels: { 'team/': 'a', env: 'prod env' } },
        },
      }),
    );
    expect(labels.code).toBe(422);
    expect(labels.status.details.causes.map((c: any) => c.field)).toEqual([
      'metadata.labels',
      'metadata.labels',
    ]);
    expect(labels.status.message).toContain(
      'a valid label must be an empty string or consist of alphanumeric characters',
    );
    const missing = await failure(
      core.createNamespacedConfigMap({
        namespace: 'nowhere',
        body: { metadata: { name: 'x' } },
      }),
    );
    expect(missing).toMatchObject({
      code: 404,
      status: { message: 'namespaces "nowhere" not found' },
    });
  });

  it('validates against the published schema (types, required fields, enums)', async () => {
    const badType = await raw(
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      {
        ...deployment('web'),
        spec: {
          ...deployment('web').spec,
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'a:1',
                  ports: [{ containerPort: 'http' }],
                },
              ],
            },
          },
        },
      },
    );
    expect(badType.status).toBe(422);
    const body = await badType.json();
    expect(body.details.causes).toContainEqual(
      expect.objectContaining({
        field: 'spec.template.spec.containers[0].ports[0].containerPort',
        message: expect.stringContaining('must be integer'),
      }),
    );

    const noImage = await raw('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c' }] },
    });
    expect(noImage.status).toBe(422);
    expect((await noImage.json()).message).toContain(
      'spec.containers[0].image: Required value',
    );

    const weightType = await failure(
      objects.create({
        ...virtualService([{ subset: 'v1', weight: 'most' as any }]),
      }),
    );
    expect(weightType.code).toBe(422);
  });

  it('refuses unknown fields (typos) with the field named, unless fieldValidation=Ignore', async () => {
    const typo = await raw(
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      {
        ...deployment('web'),
        spec: { ...deployment('web').spec, replica: 3 },
      },
    );
    expect(typo.status).toBe(422);
    expect((await typo.json()).details.causes).toContainEqual(
      expect.objectContaining({ field: 'spec.replica' }),
    );
    const ignored = await raw(
      'POST',
      '/apis/apps/v1/namespaces/default/deployments?fieldValidation=Ignore',
      {
        ...deployment('web'),
        spec: { ...deployment('web').spec, replica: 3 },
      },
    );
    expect(ignored.status).toBe(201);
    await objects.create(destinationRule(['v1']));
    const vsTypo = await failure(
      objects.create({
        ...virtualService([{ subset: 'v1' }]),
        spec: { ...virtualService([{ subset: 'v1' }]).spec, gateway: ['mesh'] },
      }),
    );
    expect(vsTypo.status.details.causes[0]).toMatchObject({
      field: 'spec.gateway',
      message: expect.stringContaining('known fields here: hosts, gateways'),
    });
  });

  it('refuses a Deployment whose selector does not match its template, and a changed selector', async () => {
    const body = deployment('web');
    body.spec.template.metadata.labels = { app: 'other', version: 'v1' };
    const mismatch = await failure(
      apps.createNamespacedDeployment({ namespace: 'default', body }),
    );
    expect(mismatch.status.message).toContain(
      'spec.template.metadata.labels: Invalid value',
    );
    expect(mismatch.status.message).toContain(
      '`selector` does not match template `labels`',
    );

    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web'),
    });
    const changed = await failure(
      apps.patchNamespacedDeployment(
        {
          name: 'web',
          namespace: 'default',
          body: {
            spec: {
              selector: { matchLabels: { app: 'web', extra: 'x' } },
              template: { metadata: { labels: { app: 'web', extra: 'x' } } },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(changed.status.details.causes).toContainEqual(
      expect.objectContaining({
        field: 'spec.selector',
        message: expect.stringContaining('field is immutable'),
      }),
    );
    const surge = await failure(
      apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('zero', {
          strategy: {
            type: 'RollingUpdate',
            rollingUpdate: { maxSurge: 0, maxUnavailable: 0 },
          },
        }),
      }),
    );
    expect(surge.status.message).toContain('may not be 0 when `maxSurge` is 0');
  });

  it('keeps Job templates, Service clusterIPs and pod specs immutable', async () => {
    const batch = kc.makeApiClient(BatchV1Api);
    const job = await batch.createNamespacedJob({
      namespace: 'default',
      body: {
        metadata: { name: 'build' },
        spec: {
          suspend: true,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'c', image: 'alpine:3.20' }],
            },
          },
        },
      },
    });
    expect(
      job.spec?.selector?.matchLabels?.['batch.kubernetes.io/controller-uid'],
    ).toBe(job.metadata?.uid);
    const jobChange = await failure(
      batch.patchNamespacedJob(
        {
          name: 'build',
          namespace: 'default',
          body: {
            spec: {
              template: {
                spec: { containers: [{ name: 'c', image: 'alpine:3.21' }] },
              },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(jobChange.status.details.causes).toContainEqual(
      expect.objectContaining({
        field: 'spec.template',
        message: expect.stringContaining('field is immutable'),
      }),
    );
    const noRestart = await failure(
      batch.createNamespacedJob({
        namespace: 'default',
        body: {
          metadata: { name: 'always' },
          spec: {
            template: {
              spec: {
                restartPolicy: 'Always',
                containers: [{ name: 'c', image: 'a:1' }],
              },
            },
          },
        },
      }),
    );
    expect(noRestart.status.message).toContain(
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    );

    const svc = await core.createNamespacedService({
      namespace: 'default',
      body: {
        metadata: { name: 'api' },
        spec: { selector: { app: 'api' }, ports: [{ port: 80 }] },
      },
    });
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\./);
    expect(svc.spec?.ports?.[0].targetPort).toBe(80);
    const ipChange = await failure(
      core.patchNamespacedService(
        {
          name: 'api',
          namespace: 'default',
          body: { spec: { clusterIP: '10.96.99.99' } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(ipChange.status.details.causes[0]).toMatchObject({
      field: 'spec.clusterIP',
      message: expect.stringContaining('field is immutable'),
    });

    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'a:1' }] },
      },
    });
    const image = await core.patchNamespacedPod(
      {
        name: 'p',
        namespace: 'default',
        body: { spec: { containers: [{ name: 'c', image: 'a:2' }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(image.spec?.containers[0].image).toBe('a:2');
    const podChange = await failure(
      core.patchNamespacedPod(
        {
          name: 'p',
          namespace: 'default',
          body: { spec: { containers: [{ name: 'c', command: ['sh'] }] } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(podChange.status.message).toContain(
      'pod updates may not change fields other than',
    );
  });

  it('checks Istio routes: weights add up to 100 and every subset exists in a DestinationRule for the host', async () => {
    const noRule = await failure(
      objects.create(virtualService([{ subset: 'v1' }])),
    );
    expect(noRule.code).toBe(422);
    expect(noRule.status.details.causes[0]).toMatchObject({
      field: 'spec.http[0].route[0].destination.subset',
      message: expect.stringContaining(
        'no DestinationRule for host "payment-gateway" in namespace "default" defines subsets',
      ),
    });
    await objects.create(destinationRule(['v1', 'v2']));
    const weights = await failure(
      objects.create(
        virtualService([
          { subset: 'v1', weight: 90 },
          { subset: 'v2', weight: 20 },
        ]),
      ),
    );
    expect(weights.status.details.causes[0]).toMatchObject({
      field: 'spec.http[0].route',
      message: expect.stringContaining(
        'total destination weight = 110; the weights of an http route must add up to 100',
      ),
    });
    const missingSubset = await failure(
      objects.create(
        virtualService([
          { subset: 'v1', weight: 90 },
          { subset: 'v3', weight: 10 },
        ]),
      ),
    );
    expect(missingSubset.status.message).toContain(
      'subset "v3" is not defined in the DestinationRule for host "payment-gateway" (it defines: "v1", "v2")',
    );
    // Short name, namespace-qualified and FQDN hosts all find the rule.
    const fqdn = virtualService(
      [
        { subset: 'v1', weight: 50 },
        { subset: 'v2', weight: 50 },
      ],
      'payment-gateway.default.svc.cluster.local',
    );
    await objects.create(fqdn);
    const dup = await failure(
      objects.create(destinationRule(['v1', 'v1'], 'dup')),
    );
    expect(dup.status.details.causes[0]).toMatchObject({
      reason: 'FieldValueDuplicate',
      field: 'spec.subsets[1].name',
    });
  });

  it('checks PrometheusRule groups: alert or record with expr, and durations', async () => {
    const rule = (rules: any[]) => ({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'slo', namespace: 'default' },
      spec: { groups: [{ name: 'payment-gateway', rules }] },
    });
    const noExpr = await failure(
      objects.create(rule([{ alert: 'HighErrorRate', for: '5m' }])),
    );
    expect(noExpr.status.details.causes).toContainEqual(
      expect.objectContaining({ field: 'spec.groups[0].rules[0].expr' }),
    );
    const both = await failure(
      objects.create(rule([{ alert: 'A', record: 'a:b', expr: 'up' }])),
    );
    expect(both.status.message).toContain(
      'a rule needs exactly one of `alert` (an alerting rule) or `record` (a recording rule)',
    );
    const duration = await failure(
      objects.create(rule([{ alert: 'A', expr: 'up == 0', for: '5 minutes' }])),
    );
    expect(duration.status.details.causes).toContainEqual(
      expect.objectContaining({ field: 'spec.groups[0].rules[0].for' }),
    );
    const ok = await objects.create(
      rule([
        {
          record: 'job:istio_requests:rate5m',
          expr: 'sum by (destination_workload) (rate(istio_requests_total[5m]))',
        },
        {
          alert: 'HighErrorRate',
          expr: 'job:istio_requests:rate5m > 1',
          for: '5m',
          labels: { severity: 'page' },
        },
      ]),
    );
    expect(
      (ok as { metadata?: { generation?: number } }).metadata?.generation,
    ).toBe(1);
  });

  it('adds ephemeral debug containers only through pods/ephemeralcontainers, with their rules', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'app', image: 'a:1' }] },
      },
    });
    const withDebug = await core.patchNamespacedPodEphemeralcontainers(
      {
        name: 'p',
        namespace: 'default',
        body: {
          spec: {
            ephemeralContainers: [
              {
                name: 'debugger',
                image: 'busybox:1.36',
                targetContainerName: 'app',
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(withDebug.spec?.ephemeralContainers?.map(c => c.name)).toEqual([
      'debugger',
    ]);
    const pod = await core.readNamespacedPod({
      name: 'p',
      namespace: 'default',
    });
    const clash = await failure(
      core.replaceNamespacedPodEphemeralcontainers({
        name: 'p',
        namespace: 'default',
        body: {
          ...pod,
          spec: {
            ...pod.spec!,
            ephemeralContainers: [
              ...pod.spec!.ephemeralContainers!,
              { name: 'app', image: 'busybox:1.36' },
            ],
          },
        },
      }),
    );
    expect(clash.status.details.causes[0]).toMatchObject({
      reason: 'FieldValueDuplicate',
      field: 'spec.ephemeralContainers[1].name',
    });
    const ports = await failure(
      core.patchNamespacedPodEphemeralcontainers(
        {
          name: 'p',
          namespace: 'default',
          body: {
            spec: {
              ephemeralContainers: [
                {
                  name: 'd2',
                  image: 'busybox:1.36',
                  ports: [{ containerPort: 80 }],
                },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(ports.status.message).toContain(
      'cannot be set for an Ephemeral Container',
    );
  });

  it('answers 400 for bodies that are not objects or are not JSON', async () => {
    expect(
      (await raw('POST', '/api/v1/namespaces/default/configmaps', 'not json'))
        .status,
    ).toBe(400);
    expect(
      (await raw('POST', '/api/v1/namespaces/default/configmaps', '[1,2]'))
        .status,
    ).toBe(400);
    const wrongKind = await raw(
      'POST',
      '/api/v1/namespaces/default/configmaps',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } },
    );
    expect(wrongKind.status).toBe(400);
    expect((await wrongKind.json()).message).toContain(
      'does not match the expected kind',
    );
  });
});
