import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  V1Deployment,
  Watch,
  makeInformer,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { ClusterSim, startClusterSim } from '../testing/startClusterSim';
import { deployment, failure, until } from '../__testUtils__/client';

// Real HTTP round trips on a busy 2-core machine: allow more than Jest's 5 s.
jest.setTimeout(60_000);

const destinationRule = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'payment-gateway', namespace: 'default' },
  spec: {
    host: 'payment-gateway',
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' } },
    ],
  },
};

const virtualService = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'payment-gateway', namespace: 'default' },
  spec: {
    hosts: ['payment-gateway'],
    http: [
      {
        route: [
          {
            destination: { host: 'payment-gateway', subset: 'v1' },
            weight: 90,
          },
          {
            destination: { host: 'payment-gateway', subset: 'v2' },
            weight: 10,
          },
        ],
      },
    ],
  },
};

describe('the simulator API through @kubernetes/client-node', () => {
  let sim: ClusterSim;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  beforeEach(async () => {
    sim = await startClusterSim({
      manualClock: true,
      bookmarkIntervalMs: 50,
      watchHistory: 50,
    });
    kc = sim.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('refuses requests without the bearer token with a 401 Status body', async () => {
    const response = await fetch(`${sim.url}/api/v1/namespaces`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Unauthorized',
      code: 401,
    });
    const wrong = await fetch(`${sim.url}/api/v1/namespaces`, {
      headers: { authorization: 'Bearer not-the-token' },
    });
    expect(wrong.status).toBe(401);
  });

  it('serves discovery for the generic object API, Istio v1 and v1beta1 from one storage', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.create(destinationRule);
    const created = await objects.create(virtualService);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const asBeta = await custom.getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1beta1',
      namespace: 'default',
      plural: 'virtualservices',
      name: 'payment-gateway',
    });
    expect(asBeta.apiVersion).toBe('networking.istio.io/v1beta1');
    expect(asBeta.metadata.uid).toBe(
      (created as { metadata?: { uid?: string } }).metadata?.uid,
    );
    const list = await objects.list(
      'networking.istio.io/v1',
      'VirtualService',
      'default',
    );
    expect(list.items.map(i => i.apiVersion)).toEqual([
      'networking.istio.io/v1',
    ]);
    const version = await (await fetch(`${sim.url}/version`)).json();
    expect(version.gitVersion).toMatch(/^v1\.\d+/);
    // EnvoyFilter is served in v1alpha3 only, as Istio does.
    await expect(
      objects.create({
        apiVersion: 'networking.istio.io/v1beta1',
        kind: 'EnvoyFilter',
        metadata: { name: 'x', namespace: 'default' },
      }),
    ).rejects.toThrow(/Unrecognized API version and kind/);
  });

  it('sets uid, resourceVersion, creationTimestamp; generation counts spec changes only', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web'),
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    const labelled = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: { metadata: { labels: { team: 'payments' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(labelled.metadata?.generation).toBe(1);
    expect(Number(labelled.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );
    const scaled = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'default', body: { spec: { replicas: 3 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(scaled.metadata?.generation).toBe(2);
  });

  it('answers 409 AlreadyExists, 409 Conflict on a stale update and 404 NotFound with Status bodies', async () => {
    const first = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web'),
    });
    const again = await failure(
      apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('web'),
      }),
    );
    expect(again.code).toBe(409);
    expect(again.status).toMatchObject({
      kind: 'Status',
      reason: 'AlreadyExists',
      message: 'deployments.apps "web" already exists',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });

    const fresh = await apps.readNamespacedDeployment({
      name: 'web',
      namespace: 'default',
    });
    fresh.spec!.replicas = 2;
    await apps.replaceNamespacedDeployment({
      name: 'web',
      namespace: 'default',
      body: fresh,
    });
    const stale: V1Deployment = {
      ...first,
      spec: { ...first.spec!, replicas: 5 },
    };
    const conflict = await failure(
      apps.replaceNamespacedDeployment({
        name: 'web',
        namespace: 'default',
        body: stale,
      }),
    );
    expect(conflict.code).toBe(409);
    expect(conflict.status.reason).toBe('Conflict');
    expect(conflict.status.message).toContain(
      'the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(
      (
        await apps.readNamespacedDeployment({
          name: 'web',
          namespace: 'default',
        })
      ).spec?.replicas,
    ).toBe(2);

    const missing = await failure(
      core.readNamespacedPod({ name: 'nope', namespace: 'default' }),
    );
    expect(missing).toMatchObject({
      code: 404,
      status: { reason: 'NotFound', message: 'pods "nope" not found' },
    });
  });

  it('filters lists with label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors', async () => {
    const cm = (name: string, labels: Record<string, string>) =>
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name, labels }, data: { k: 'v' } },
      });
    await cm('a', { tier: 'web', env: 'prod' });
    await cm('b', { tier: 'api', env: 'prod' });
    await cm('c', { tier: 'db' });
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (
        await core.listNamespacedConfigMap({
          namespace: 'default',
          labelSelector,
          fieldSelector,
        })
      ).items
        .map(i => i.metadata?.name)
        .filter(n => n !== 'kube-root-ca.crt');
    expect(await names('tier=web')).toEqual(['a']);
    expect(await names('tier==api')).toEqual(['b']);
    expect(await names('tier!=web')).toEqual(['b', 'c']);
    expect(await names('tier in (web,db)')).toEqual(['a', 'c']);
    expect(await names('tier notin (web,db)')).toEqual(['b']);
    expect(await names('env')).toEqual(['a', 'b']);
    expect(await names('!env')).toEqual(['c']);
    expect(await names('env=prod,tier!=api')).toEqual(['a']);
    expect(await names(undefined, 'metadata.name=b')).toEqual(['b']);
    expect(await names(undefined, 'metadata.name!=b')).toEqual(['a', 'c']);
    const bad = await failure(
      core.listNamespacedConfigMap({
        namespace: 'default',
        fieldSelector: 'data.k=v',
      }),
    );
    expect(bad).toMatchObject({
      code: 400,
      status: {
        reason: 'BadRequest',
        message: 'field label not supported: data.k',
      },
    });
    const badLabel = await failure(
      core.listNamespacedConfigMap({
        namespace: 'default',
        labelSelector: 'tier in web',
      }),
    );
    expect(badLabel.code).toBe(400);
  });

  it('selects events by involvedObject and pods by spec.nodeName and status.phase', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', { replicas: 2 }),
    });
    sim.clock.advance(5000);
    const pods = await core.listNamespacedPod({
      namespace: 'default',
      fieldSelector: 'status.phase=Running',
    });
    expect(pods.items).toHaveLength(2);
    const pod = pods.items[0];
    const onNode = await core.listPodForAllNamespaces({
      fieldSelector: `spec.nodeName=${pod.spec?.nodeName}`,
    });
    expect(onNode.items.map(p => p.metadata?.name)).toContain(
      pod.metadata?.name,
    );
    const events = await core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${pod.metadata?.name}`,
    });
    expect(events.items.map(e => e.reason)).toEqual(
      expect.arrayContaining([
        'Scheduled',
        'Pulling',
        'Pulled',
        'Created',
        'Started',
      ]),
    );
  });

  it('pages lists with limit and continue, and expires a continue token that is too old with 410', async () => {
    for (let i = 0; i < 7; i++) {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: `cm-${i}` } },
      });
    }
    const first = await core.listNamespacedConfigMap({
      namespace: 'default',
      limit: 3,
    });
    expect(first.items.map(i => i.metadata?.name)).toEqual([
      'cm-0',
      'cm-1',
      'cm-2',
    ]);
    expect(first.metadata?.remainingItemCount).toBe(4);
    const second = await core.listNamespacedConfigMap({
      namespace: 'default',
      limit: 3,
      _continue: first.metadata?._continue,
    });
    expect(second.items.map(i => i.metadata?.name)).toEqual([
      'cm-3',
      'cm-4',
      'cm-5',
    ]);
    const third = await core.listNamespacedConfigMap({
      namespace: 'default',
      limit: 3,
      _continue: second.metadata?._continue,
    });
    expect(third.items.map(i => i.metadata?.name)).toEqual(['cm-6']);
    expect(third.metadata?._continue).toBeUndefined();
    // More changes than the history keeps (50) make the first token too old.
    for (let i = 0; i < 60; i++) {
      await core.patchNamespacedConfigMap(
        {
          name: 'cm-0',
          namespace: 'default',
          body: { data: { n: String(i) } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
    const expired = await failure(
      core.listNamespacedConfigMap({
        namespace: 'default',
        limit: 3,
        _continue: first.metadata?._continue,
      }),
    );
    expect(expired).toMatchObject({ code: 410, status: { reason: 'Expired' } });
  });

  it('applies JSON merge, strategic merge (lists merged by their keys) and JSON patches', async () => {
    const body = deployment('web');
    body.spec.template.spec.containers = [
      {
        name: 'app',
        image: 'app:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      } as any,
      { name: 'sidecar', image: 'proxy:1' } as any,
    ];
    (body.spec.template.spec as any).tolerations = [
      { key: 'x', operator: 'Exists', effect: 'NoSchedule' },
    ];
    await apps.createNamespacedDeployment({ namespace: 'default', body });
    const smp = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'app',
                    image: 'app:2',
                    env: [
                      { name: 'B', value: 'two' },
                      { name: 'C', value: '3' },
                    ],
                  },
                ],
                tolerations: [
                  {
                    key: 'dedicated',
                    operator: 'Equal',
                    value: 'high-performance',
                    effect: 'NoSchedule',
                  },
                ],
              },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const spec = smp.spec!.template.spec!;
    expect(spec.containers.map(c => `${c.name}=${c.image}`)).toEqual([
      'app=app:2',
      'sidecar=proxy:1',
    ]);
    expect(spec.containers[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
      { name: 'C', value: '3' },
    ]);
    expect(spec.tolerations).toEqual([
      {
        key: 'dedicated',
        operator: 'Equal',
        value: 'high-performance',
        effect: 'NoSchedule',
      },
    ]);

    const deleteSidecar = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: {
          spec: {
            template: {
              spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(
      deleteSidecar.spec!.template.spec!.containers.map(c => c.name),
    ).toEqual(['app']);

    const merge = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: {
          metadata: { annotations: { a: '1' } },
          spec: {
            template: {
              spec: { containers: [{ name: 'only', image: 'x:1' }] },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // A merge patch replaces lists whole.
    expect(merge.spec!.template.spec!.containers.map(c => c.name)).toEqual([
      'only',
    ]);

    const json = await apps.patchNamespacedDeployment({
      name: 'web',
      namespace: 'default',
      body: [
        { op: 'test', path: '/spec/replicas', value: 1 },
        { op: 'replace', path: '/spec/replicas', value: 4 },
        { op: 'add', path: '/metadata/labels', value: { patched: 'yes' } },
      ],
    });
    expect(json.spec?.replicas).toBe(4);
    const failedTest = await failure(
      apps.patchNamespacedDeployment({
        name: 'web',
        namespace: 'default',
        body: [{ op: 'test', path: '/spec/replicas', value: 1 }],
      }),
    );
    expect(failedTest.code).toBe(422);

    const objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.create(destinationRule);
    const crdSmp = await failure(
      objects.patch(
        { ...destinationRule, spec: { host: 'x' } },
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.StrategicMergePatch,
      ),
    );
    expect(crdSmp).toMatchObject({
      code: 415,
      status: { reason: 'UnsupportedMediaType' },
    });
    const crdMerge = await objects.patch(
      {
        apiVersion: destinationRule.apiVersion,
        kind: 'DestinationRule',
        metadata: {
          name: 'payment-gateway',
          namespace: 'default',
          labels: { merged: 'true' },
        },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    expect(crdMerge.metadata?.labels).toEqual({ merged: 'true' });
    const unknownType = await fetch(
      `${sim.url}/apis/apps/v1/namespaces/default/deployments/web`,
      {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${sim.token}`,
          'content-type': 'text/plain',
        },
        body: '{}',
      },
    );
    expect(unknownType.status).toBe(415);
  });

  it('dry-runs create, update, patch and delete without storing anything', async () => {
    const dry = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web'),
      dryRun: 'All',
    });
    expect(dry.metadata?.name).toBe('web');
    expect(
      await failure(
        apps.readNamespacedDeployment({ name: 'web', namespace: 'default' }),
      ),
    ).toMatchObject({ code: 404 });
    const invalid = await failure(
      apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('Web_Bad'),
        dryRun: 'All',
      }),
    );
    expect(invalid.code).toBe(422);

    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web'),
    });
    sim.clock.advance(5000);
    const real = await apps.readNamespacedDeployment({
      name: 'web',
      namespace: 'default',
    });
    const rv = real.metadata?.resourceVersion;
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: { spec: { replicas: 9 } },
        dryRun: 'All',
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await apps.replaceNamespacedDeployment({
      name: 'web',
      namespace: 'default',
      body: { ...real, spec: { ...real.spec!, replicas: 7 } },
      dryRun: 'All',
    });
    await apps.deleteNamespacedDeployment({
      name: 'web',
      namespace: 'default',
      dryRun: 'All',
    });
    const after = await apps.readNamespacedDeployment({
      name: 'web',
      namespace: 'default',
    });
    expect(after.spec?.replicas).toBe(1);
    expect(after.metadata?.resourceVersion).toBe(rv);
    const badDryRun = await fetch(
      `${sim.url}/api/v1/namespaces/default/configmaps?dryRun=Yes`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${sim.token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ metadata: { name: 'x' } }),
      },
    );
    expect(badDryRun.status).toBe(400);
  });

  it('keeps status on PUT of the main resource and changes only status through /status', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', { replicas: 2 }),
    });
    sim.clock.advance(5000);
    const current = await apps.readNamespacedDeployment({
      name: 'web',
      namespace: 'default',
    });
    expect(current.status?.readyReplicas).toBe(2);
    const put = await apps.replaceNamespacedDeployment({
      name: 'web',
      namespace: 'default',
      body: { ...current, status: { replicas: 99 } },
    });
    expect(put.status?.replicas).toBe(2);
    const scale = await apps.readNamespacedDeploymentScale({
      name: 'web',
      namespace: 'default',
    });
    expect(scale.spec?.replicas).toBe(2);
    expect(scale.status?.selector).toBe('app=web');
    const scaled = await apps.replaceNamespacedDeploymentScale({
      name: 'web',
      namespace: 'default',
      body: { ...scale, spec: { replicas: 4 } },
    });
    expect(scaled.spec?.replicas).toBe(4);
    sim.clock.advance(5000);
    expect(
      (
        await apps.readNamespacedDeployment({
          name: 'web',
          namespace: 'default',
        })
      ).status?.availableReplicas,
    ).toBe(4);
  });

  it('streams watch events from a resourceVersion, resumes after a dropped stream, and sends 410 Expired for versions no longer kept', async () => {
    const watch = new Watch(kc);
    const seen: string[] = [];
    let done: Error | null | undefined;
    const start = await core.listNamespacedConfigMap({ namespace: 'default' });
    const controller = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: start.metadata?.resourceVersion },
      (type, obj) => seen.push(`${type} ${obj.metadata.name}`),
      err => {
        done = err;
      },
    );
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'one' } },
    });
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'two' } },
    });
    await until(() => seen.length >= 2);
    expect(seen).toEqual(['ADDED one', 'ADDED two']);
    expect(sim.faults.dropWatches()).toBe(1);
    await until(() => done !== undefined);
    const lastSeen = (
      await core.readNamespacedConfigMap({ name: 'two', namespace: 'default' })
    ).metadata?.resourceVersion;
    // Changes while nobody watches are replayed when the watch resumes from the last version seen.
    await core.deleteNamespacedConfigMap({ name: 'one', namespace: 'default' });
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'three' } },
    });
    const resumed: string[] = [];
    const c2 = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: lastSeen },
      (type, obj) => resumed.push(`${type} ${obj.metadata.name}`),
      () => {},
    );
    await until(() => resumed.length >= 2);
    expect(resumed).toEqual(['DELETED one', 'ADDED three']);
    c2.abort();
    controller.abort();

    for (let i = 0; i < 60; i++) {
      await core.patchNamespacedConfigMap(
        {
          name: 'three',
          namespace: 'default',
          body: { data: { n: String(i) } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
    const errors: any[] = [];
    let ended = false;
    await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: lastSeen },
      (type, obj) => type === 'ERROR' && errors.push(obj),
      () => {
        ended = true;
      },
    );
    await until(() => ended);
    expect(errors).toEqual([
      expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }),
    ]);
  });

  it('sends ADDED for selector matches, DELETED when an object stops matching, and BOOKMARKs when asked', async () => {
    const watch = new Watch(kc);
    const seen: string[] = [];
    const controller = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { labelSelector: 'tier=web', allowWatchBookmarks: true },
      (type, obj) =>
        seen.push(
          type === 'BOOKMARK' ? 'BOOKMARK' : `${type} ${obj.metadata.name}`,
        ),
      () => {},
    );
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'a', labels: { tier: 'db' } } },
    });
    await core.patchNamespacedConfigMap(
      {
        name: 'a',
        namespace: 'default',
        body: { metadata: { labels: { tier: 'web' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.patchNamespacedConfigMap(
      {
        name: 'a',
        namespace: 'default',
        body: { metadata: { labels: { tier: 'db' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await until(() => seen.includes('DELETED a') && seen.includes('BOOKMARK'));
    expect(seen.filter(s => s !== 'BOOKMARK')).toEqual([
      'ADDED a',
      'DELETED a',
    ]);
    controller.abort();
  });

  it('keeps an informer (makeInformer) in sync across dropped watches and a 410', async () => {
    const path = '/api/v1/namespaces/default/configmaps';
    const informer = makeInformer(kc, path, () =>
      core.listNamespacedConfigMap({ namespace: 'default' }),
    );
    let stopped = false;
    informer.on('error', () => {
      // As a controller would: start again after an error.
      setTimeout(() => !stopped && informer.start(), 10);
    });
    await informer.start();
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'a' } },
    });
    await until(() =>
      informer.list('default').some(c => c.metadata?.name === 'a'),
    );
    sim.faults.dropWatches();
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'b' } },
    });
    await until(() =>
      informer.list('default').some(c => c.metadata?.name === 'b'),
    );
    // A burst larger than the watch history while the informer is disconnected forces a relist.
    sim.faults.dropWatches();
    for (let i = 0; i < 60; i++) {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: `burst-${i}` } },
      });
    }
    await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'default' });
    await until(
      () =>
        informer.list('default').length === 61 &&
        !informer.list('default').some(c => c.metadata?.name === 'a'),
    );
    expect(informer.list('default').map(c => c.metadata?.name)).toContain(
      'burst-59',
    );
    stopped = true;
    await informer.stop();
  });

  it('deletes dependents in the background by default, foreground or orphans them when asked', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('bg', { replicas: 2 }),
    });
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('fg', { replicas: 2 }),
    });
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('orphan', { replicas: 2 }),
    });
    sim.clock.advance(5000);
    const rsOf = async (app: string) =>
      (
        await apps.listNamespacedReplicaSet({
          namespace: 'default',
          labelSelector: `app=${app}`,
        })
      ).items;
    const podsOf = async (app: string) =>
      (
        await core.listNamespacedPod({
          namespace: 'default',
          labelSelector: `app=${app}`,
        })
      ).items;

    await apps.deleteNamespacedDeployment({ name: 'bg', namespace: 'default' });
    expect(await rsOf('bg')).toEqual([]);
    sim.clock.advance(31_000);
    expect(await podsOf('bg')).toEqual([]);

    const pending = await apps.deleteNamespacedDeployment({
      name: 'fg',
      namespace: 'default',
      propagationPolicy: 'Foreground',
    });
    expect(pending.status).toBeDefined();
    const fg = await apps.readNamespacedDeployment({
      name: 'fg',
      namespace: 'default',
    });
    expect(fg.metadata?.deletionTimestamp).toBeDefined();
    expect(fg.metadata?.finalizers).toEqual(['foregroundDeletion']);
    sim.clock.advance(31_000);
    expect(
      await failure(
        apps.readNamespacedDeployment({ name: 'fg', namespace: 'default' }),
      ),
    ).toMatchObject({ code: 404 });
    expect(await rsOf('fg')).toEqual([]);

    await apps.deleteNamespacedDeployment({
      name: 'orphan',
      namespace: 'default',
      propagationPolicy: 'Orphan',
    });
    sim.clock.advance(1000);
    expect(
      await failure(
        apps.readNamespacedDeployment({ name: 'orphan', namespace: 'default' }),
      ),
    ).toMatchObject({ code: 404 });
    const orphans = await rsOf('orphan');
    expect(orphans).toHaveLength(1);
    expect(orphans[0].metadata?.ownerReferences).toBeUndefined();
    expect(
      (await podsOf('orphan')).filter(p => !p.metadata?.deletionTimestamp),
    ).toHaveLength(2);
  });

  it('deletes running pods gracefully: deletionTimestamp first, gone after the grace period on the sim clock', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'p' },
        spec: {
          terminationGracePeriodSeconds: 20,
          containers: [{ name: 'c', image: 'nginx:1.27' }],
        },
      },
    });
    sim.clock.advance(5000);
    const deleted = await core.deleteNamespacedPod({
      name: 'p',
      namespace: 'default',
    });
    expect(deleted.metadata?.deletionTimestamp).toBeDefined();
    expect(deleted.metadata?.deletionGracePeriodSeconds).toBe(20);
    sim.clock.advance(19_000);
    const terminating = await core.readNamespacedPod({
      name: 'p',
      namespace: 'default',
    });
    expect(
      terminating.status?.containerStatuses?.[0].state?.terminated,
    ).toBeDefined();
    const events = sim.store.events('default', 'p').map(e => e.reason);
    expect(events).toContain('Killing');
    sim.clock.advance(1_000);
    expect(
      await failure(
        core.readNamespacedPod({ name: 'p', namespace: 'default' }),
      ),
    ).toMatchObject({ code: 404 });

    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'q' },
        spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
      },
    });
    sim.clock.advance(5000);
    await core.deleteNamespacedPod({
      name: 'q',
      namespace: 'default',
      gracePeriodSeconds: 0,
    });
    expect(
      await failure(
        core.readNamespacedPod({ name: 'q', namespace: 'default' }),
      ),
    ).toMatchObject({ code: 404 });
  });

  it('keeps an object with finalizers until the last one is removed', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: {
        metadata: { name: 'guarded', finalizers: ['fincloud.io/cleanup'] },
      },
    });
    await core.deleteNamespacedConfigMap({
      name: 'guarded',
      namespace: 'default',
    });
    const held = await core.readNamespacedConfigMap({
      name: 'guarded',
      namespace: 'default',
    });
    expect(held.metadata?.deletionTimestamp).toBeDefined();
    const addMore = await failure(
      core.patchNamespacedConfigMap(
        {
          name: 'guarded',
          namespace: 'default',
          body: { metadata: { finalizers: ['fincloud.io/cleanup', 'other'] } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(addMore.code).toBe(422);
    await core.patchNamespacedConfigMap(
      {
        name: 'guarded',
        namespace: 'default',
        body: { metadata: { finalizers: null } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(
      await failure(
        core.readNamespacedConfigMap({ name: 'guarded', namespace: 'default' }),
      ),
    ).toMatchObject({ code: 404 });
  });

  it('deletes what a namespace holds with it, and refuses new objects while it terminates', async () => {
    await core.createNamespace({ body: { metadata: { name: 'team' } } });
    await apps.createNamespacedDeployment({
      namespace: 'team',
      body: deployment('web', { namespace: 'team' }),
    });
    sim.clock.advance(5000);
    await core.deleteNamespace({ name: 'team' });
    const refused = await failure(
      core.createNamespacedConfigMap({
        namespace: 'team',
        body: { metadata: { name: 'late' } },
      }),
    );
    expect(refused).toMatchObject({
      code: 403,
      status: { reason: 'Forbidden' },
    });
    sim.clock.advance(31_000);
    expect(await failure(core.readNamespace({ name: 'team' }))).toMatchObject({
      code: 404,
    });
    expect(sim.store.list('v1', 'Pod', 'team')).toEqual([]);
    const noNamespace = await failure(
      core.createNamespacedConfigMap({
        namespace: 'team',
        body: { metadata: { name: 'x' } },
      }),
    );
    expect(noNamespace).toMatchObject({
      code: 404,
      status: { message: 'namespaces "team" not found' },
    });
  });

  it('evicts a pod through pods/eviction', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
      },
    });
    sim.clock.advance(5000);
    await core.createNamespacedPodEviction({
      name: 'p',
      namespace: 'default',
      body: { metadata: { name: 'p', namespace: 'default' } },
    });
    const pod = await core.readNamespacedPod({
      name: 'p',
      namespace: 'default',
    });
    expect(pod.metadata?.deletionTimestamp).toBeDefined();
  });

  it('answers unknown paths with 404 and wrong methods with 405', async () => {
    const get = (path: string, method = 'GET') =>
      fetch(`${sim.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${sim.token}` },
      });
    expect((await get('/apis/nope.example.com/v1')).status).toBe(404);
    expect((await get('/api/v1/namespaces/default/widgets')).status).toBe(404);
    expect((await get('/api/v1/namespaces/default/pods', 'PUT')).status).toBe(
      405,
    );
    // Objects are created in a namespace, not through the all-namespaces path.
    expect((await get('/api/v1/pods', 'POST')).status).toBe(405);
    expect((await get('/api/v1/pods')).status).toBe(200);
  });
});

describe('the simulator over HTTPS', () => {
  it('serves TLS with a self-signed certificate the kubeconfig trusts, and refuses clients that do not', async () => {
    const sim = await startClusterSim({
      manualClock: true,
      tls: true,
      trafficIntervalMs: 0,
    });
    try {
      expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const fromFile = new KubeConfig();
      fromFile.loadFromString(sim.kubeconfigYaml());
      const list = await fromFile.makeApiClient(CoreV1Api).listNamespace();
      expect(list.items.map(n => n.metadata?.name)).toContain('default');
      const untrusting = new KubeConfig();
      untrusting.loadFromOptions({
        clusters: [{ name: 'c', server: sim.url, skipTLSVerify: false }],
        users: [{ name: 'u', token: sim.token }],
        contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
        currentContext: 'c',
      });
      await expect(
        untrusting.makeApiClient(CoreV1Api).listNamespace(),
      ).rejects.toThrow(/self[- ]signed|certificate/i);
    } finally {
      await sim.stop();
    }
  });
});
