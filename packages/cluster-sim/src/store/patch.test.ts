import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  deepEqual,
} from './patch';
import { StatusError } from './errors';
import { matchesLabels, parseLabelSelector } from './selectors';

describe('patches', () => {
  const pod = {
    metadata: { finalizers: ['a'], labels: { x: '1' } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'a:1',
          ports: [{ containerPort: 8080, name: 'http' }],
          volumeMounts: [{ name: 'v', mountPath: '/data' }],
        },
        { name: 'proxy', image: 'p:1' },
      ],
      volumes: [{ name: 'v', emptyDir: {} }],
      tolerations: [{ key: 'a', operator: 'Exists' }],
    },
  };

  it('merges container ports by containerPort, volume mounts by mountPath, finalizers as a set', () => {
    const out = applyStrategicMergePatch(pod, {
      metadata: { finalizers: ['a', 'b'] },
      spec: {
        containers: [
          {
            name: 'app',
            ports: [{ containerPort: 9090, name: 'metrics' }],
            volumeMounts: [{ mountPath: '/data', readOnly: true }],
          },
        ],
      },
    });
    expect(out.metadata.finalizers).toEqual(['a', 'b']);
    expect(out.spec.containers[0].ports).toEqual([
      { containerPort: 8080, name: 'http' },
      { containerPort: 9090, name: 'metrics' },
    ]);
    expect(out.spec.containers[0].volumeMounts).toEqual([
      { name: 'v', mountPath: '/data', readOnly: true },
    ]);
    expect(out.spec.containers[1]).toEqual({ name: 'proxy', image: 'p:1' });
  });

  it('understands $patch: replace / delete, $retainKeys, $deleteFromPrimitiveList and null deletes', () => {
    const replaced = applyStrategicMergePatch(pod, {
      spec: { volumes: [{ name: 'w', emptyDir: {} }, { $patch: 'replace' }] },
    });
    expect(replaced.spec.volumes).toEqual([{ name: 'w', emptyDir: {} }]);
    const removed = applyStrategicMergePatch(pod, {
      metadata: { labels: null, $deleteFromPrimitiveList: undefined },
      spec: { containers: [{ name: 'proxy', $patch: 'delete' }] },
    });
    expect(removed.metadata.labels).toBeUndefined();
    expect(removed.spec.containers.map((c: any) => c.name)).toEqual(['app']);
    const deleted = applyStrategicMergePatch(pod, {
      $deleteFromPrimitiveList: undefined,
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
    });
    expect(deleted.metadata.finalizers).toEqual([]);
    const retained = applyStrategicMergePatch(
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } },
      { strategy: { type: 'Recreate', $retainKeys: ['type'] } },
    );
    expect(retained.strategy).toEqual({ type: 'Recreate' });
  });

  it('applies RFC 7386 merge patches and RFC 6902 JSON patches, refusing malformed ones', () => {
    expect(
      applyMergePatch(
        { a: { b: 1, c: 2 }, l: [1, 2] },
        { a: { b: null, d: 3 }, l: [3] },
      ),
    ).toEqual({ a: { c: 2, d: 3 }, l: [3] });
    const doc = applyJsonPatch({ a: [1, 2], b: { c: 1 } }, [
      { op: 'add', path: '/a/-', value: 3 },
      { op: 'move', from: '/b/c', path: '/d' },
      { op: 'copy', from: '/d', path: '/e~1f' },
      { op: 'remove', path: '/a/0' },
    ]);
    expect(doc).toEqual({ a: [2, 3], b: {}, d: 1, 'e/f': 1 });
    expect(() => applyJsonPatch({}, { op: 'add' })).toThrow(StatusError);
    expect(() =>
      applyJsonPatch({}, [{ op: 'remove', path: '/missing' }]),
    ).toThrow(/missing/);
    expect(() =>
      applyJsonPatch({}, [{ op: 'frobnicate', path: '/a' }]),
    ).toThrow(/Unexpected kind/);
  });

  it('compares structurally, whatever the key order', () => {
    expect(
      deepEqual(
        { a: 1, b: { c: [1, { d: 2, e: 3 }] } },
        { b: { c: [1, { e: 3, d: 2 }] }, a: 1 },
      ),
    ).toBe(true);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
});

describe('label selectors', () => {
  it('parses and matches every operator', () => {
    const labels = { app: 'web', tier: 'front', 'fincloud.io/pool': 'general' };
    const m = (s: string) => matchesLabels(parseLabelSelector(s), labels);
    expect(m('app=web,tier==front')).toBe(true);
    expect(m('app!=web')).toBe(false);
    expect(m('tier in (front, back)')).toBe(true);
    expect(m('tier notin (front)')).toBe(false);
    expect(m('fincloud.io/pool')).toBe(true);
    expect(m('!fincloud.io/pool')).toBe(false);
    expect(m('missing!=x')).toBe(true);
    expect(() => parseLabelSelector('app=we b')).toThrow(StatusError);
    expect(() => parseLabelSelector('-bad-key=1')).toThrow(/invalid label key/);
  });
});
