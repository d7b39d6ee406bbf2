import { timestampKey } from './LogFollower';

describe('timestampKey', () => {
  it('orders RFC 3339 timestamps as time does, whatever their fraction digits', () => {
    const times = [
      '2026-11-30T10:00:00Z',
      '2026-11-30T10:00:00.000000001Z',
      '2026-11-30T10:00:00.1Z',
      '2026-11-30T10:00:00.123456789Z',
      '2026-11-30T10:00:00.9Z',
      '2026-11-30T11:00:00.05+01:00', // = 10:00:00.05Z
      '2026-11-30T10:00:01Z',
    ];
    const keys = times.map(t => timestampKey(t)!);
    const sorted = [...keys].sort();
    expect(sorted.map(k => times[keys.indexOf(k)])).toEqual([
      '2026-11-30T10:00:00Z',
      '2026-11-30T10:00:00.000000001Z',
      '2026-11-30T11:00:00.05+01:00',
      '2026-11-30T10:00:00.1Z',
      '2026-11-30T10:00:00.123456789Z',
      '2026-11-30T10:00:00.9Z',
      '2026-11-30T10:00:01Z',
    ]);
    expect(timestampKey('2026-11-30T10:00:00.1Z')).toBe(
      timestampKey('2026-11-30T10:00:00.100000000Z'),
    );
  });

  it('is undefined for text that is no timestamp', () => {
    expect(timestampKey('hello')).toBeUndefined();
    expect(timestampKey('2026-13-45T99:00:00Z')).toBeUndefined();
  });
});
