import {
  REDACTED,
  isSecretKey,
  looksLikeSecret,
  redact,
  redactPath,
  redactText,
} from './redact';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJ1c2VyOmRlZmF1bHQvcGV0ZSJ9.c2lnbmF0dXJlLWJ5dGVz';
const PEM = `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----`;

describe('redaction rule', () => {
  it.each([
    'token',
    'accessToken',
    'refresh_token',
    'X-Api-Key',
    'apiKey',
    'client-secret',
    'Password',
    'db_passwd',
    'passphrase',
    'Authorization',
    'set-cookie',
    'credentials',
    'privateKey',
    'private_key_pem',
    'aws_access_key_id',
    'auth',
    'PWD',
    'jwt',
    'webhookSignature',
  ])('treats the key %p as secret', key => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each([
    'entityRef',
    'author',
    'release',
    'weight',
    'sessionId',
    'keyId',
    'namespace',
  ])('keeps the key %p', key => {
    expect(isSecretKey(key)).toBe(false);
  });

  it('recognises secret-looking values', () => {
    expect(looksLikeSecret(`Bearer ${JWT}`)).toBe(true);
    expect(looksLikeSecret('bearer abcdefgh12345678')).toBe(true);
    expect(looksLikeSecret(JWT)).toBe(true);
    expect(looksLikeSecret(PEM)).toBe(true);
    expect(looksLikeSecret('Basic dXNlcjpwYXNzd29yZA==')).toBe(true);
    expect(looksLikeSecret('postgres://app:s3cret@db:5432/x')).toBe(true);
    expect(looksLikeSecret('https://example.org/path')).toBe(false);
    expect(looksLikeSecret('component:default/payment-gateway')).toBe(false);
    expect(looksLikeSecret('bearer of bad news')).toBe(false);
  });

  it('replaces whole values of secret keys at any depth and leaves the rest', () => {
    const input = {
      release: 'r-7',
      headers: { Authorization: 'Basic abc', accept: 'json' },
      db: { password: { nested: 'x' }, host: 'pg' },
      list: [{ token: 1 }, 'plain', JWT],
      note: `deploy with ${JWT}`,
      empty: undefined,
    };
    expect(redact(input)).toEqual({
      release: 'r-7',
      headers: { Authorization: REDACTED, accept: 'json' },
      db: { password: REDACTED, host: 'pg' },
      list: [{ token: REDACTED }, 'plain', REDACTED],
      note: REDACTED,
      empty: undefined,
    });
    // The input is not changed.
    expect(input.db.password).toEqual({ nested: 'x' });
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redact(a)).toEqual({ name: 'a', self: '[Circular]' });
  });

  it('keeps error messages readable and takes the secret out', () => {
    expect(redactText(`401 from upstream: Bearer ${JWT} rejected`)).toBe(
      '401 from upstream: [REDACTED] rejected',
    );
    expect(redactText('connect postgres://app:s3cret@db:5432/x failed')).toBe(
      'connect postgres://app:[REDACTED]@db:5432/x failed',
    );
    expect(redactText(`key ${PEM} invalid`)).toBe('key [REDACTED] invalid');
  });

  it('redacts query parameters of request paths', () => {
    expect(redactPath('/api/x?token=abc&page=2&api_key=k')).toBe(
      '/api/x?token=[REDACTED]&page=2&api_key=[REDACTED]',
    );
    expect(redactPath(`/api/x?q=${encodeURIComponent(`Bearer ${JWT}`)}`)).toBe(
      '/api/x?q=[REDACTED]',
    );
    expect(
      redactPath('/api/catalog/entities/by-name/component/default/x'),
    ).toBe('/api/catalog/entities/by-name/component/default/x');
  });
});
