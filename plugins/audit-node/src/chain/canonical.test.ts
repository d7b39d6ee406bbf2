import {
  AUDIT_GENESIS_HASH,
  canonicalContent,
  canonicalJson,
  chainHashOf,
  contentHashOf,
  sha256Hex,
} from './canonical';

describe('canonical form', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(
      canonicalJson({ b: 1, a: { d: [3, undefined], c: undefined, b: null } }),
    ).toBe('{"a":{"b":null,"d":[3,null]},"b":1}');
  });

  it('is independent of key insertion order', () => {
    expect(canonicalJson({ x: 1, y: { p: 1, q: 2 } })).toBe(
      canonicalJson({ y: { q: 2, p: 1 }, x: 1 }),
    );
  });

  it('writes dates, bigints, errors and non-finite numbers as documented', () => {
    expect(
      canonicalJson({
        at: new Date('2026-01-02T03:04:05.006Z'),
        big: BigInt(2) ** BigInt(70),
        err: new Error('boom'),
        nan: Number.NaN,
      }),
    ).toBe(
      '{"at":"2026-01-02T03:04:05.006Z","big":"1180591620717411303424","err":"boom","nan":null}',
    );
  });

  it('keeps a "__proto__" key as data', () => {
    const parsed = JSON.parse('{"__proto__":{"admin":true},"a":1}');
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"admin":true},"a":1}');
  });

  it('round-trips: canonical(parse(canonical(x))) = canonical(x)', () => {
    const text = canonicalJson({
      n: 1e21,
      s: 'ü\u2028"',
      f: -0,
      list: [1.5, 'x'],
    });
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });

  it('hashes the documented array and chains with sha256(prevHash + contentHash)', () => {
    const content = {
      seq: 1,
      id: 'id-1',
      at: '2026-01-01T00:00:00.000Z',
      plugin: 'releases',
      eventId: 'release-promote',
      severity: 'high',
      status: 'initiated',
      actorType: 'user',
      actorRef: 'user:default/paula',
      entityRef: null,
      requestMethod: null,
      requestPath: null,
      requestIp: null,
      meta: '{}',
      error: null,
      correlationId: 'c-1',
    };
    expect(canonicalContent(content)).toBe(
      '["fincloud-audit/1",1,"id-1","2026-01-01T00:00:00.000Z","releases","release-promote","high","initiated","user","user:default/paula",null,null,null,null,"{}",null,"c-1"]',
    );
    const ch = contentHashOf(content);
    expect(ch).toBe(sha256Hex(canonicalContent(content)));
    expect(chainHashOf(AUDIT_GENESIS_HASH, ch)).toBe(
      sha256Hex(AUDIT_GENESIS_HASH + ch),
    );
    expect(contentHashOf({ ...content, meta: '{"a":1}' })).not.toBe(ch);
  });
});
