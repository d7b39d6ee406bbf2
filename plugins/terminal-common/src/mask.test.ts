import { MASK, SecretMasker } from './mask';

// A token shaped like the simulator's service-account token (RS256 JWT).
const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50OnBheW1lbnRzOmRlZmF1bHQifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJl';

describe('SecretMasker', () => {
  const masker = new SecretMasker();

  it.each([
    ['DB_PASSWORD=hunter2', `DB_PASSWORD=${MASK}`],
    ['SPRING_DATASOURCE_PASSWORD=s3cr3t!x', `SPRING_DATASOURCE_PASSWORD=${MASK}`],
    ['STRIPE_API_KEY=abcdef123', `STRIPE_API_KEY=${MASK}`],
    ['PAYMENTS_SIGNING_KEY=abcdef123', `PAYMENTS_SIGNING_KEY=${MASK}`],
    ['  password: hunter2', `  password: ${MASK}`],
    ['{"clientSecret": "abc123xyz"}', `{"clientSecret": "${MASK}"}`],
    ['java -Dspring.datasource.password=pw123 -jar app.jar', `java -Dspring.datasource.password=${MASK} -jar app.jar`],
    ['Authorization: Bearer abc.def.ghi', `Authorization: ${MASK}`],
    ['curl -H "authorization: Basic dXNlcjpwYXNz"', `curl -H "authorization: ${MASK}"`],
    ['token is Bearer abcdefghijklmnop', `token is Bearer ${MASK}`],
    [JWT, MASK],
    [`cat token\r\n${JWT}/ # `, `cat token\r\n${MASK}/ # `],
    ['postgres://app:topsecret@db:5432/pay', `postgres://app:${MASK}@db:5432/pay`],
    ['AKIAABCDEFGHIJKLMNOP', MASK],
    ['sk_live_abcdefghijklmnop', MASK],
  ])('masks %j', (text, masked) => {
    expect(masker.mask(text)).toBe(masked);
  });

  it.each([
    'PATH=/usr/local/bin:/usr/bin',
    'JAVA_HOME=/opt/java/openjdk',
    'MONKEY=banana',
    '2024-11-27 12:00:01 INFO  Started PaymentGatewayApplication in 4.2 seconds',
    'total 52M',
  ])('leaves %j alone', text => {
    expect(masker.mask(text)).toBe(text);
  });

  it('masks a PEM private key block', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\ndef\n-----END RSA PRIVATE KEY-----\nafter';
    const out = masker.mask(pem);
    expect(out).not.toContain('MIIEabc');
    expect(out).toContain('after');
  });

  it('masks literal secret values and platform patterns', () => {
    const m = new SecretMasker({
      literals: ['correct-horse-battery', 'short'],
      patterns: ['acct-[0-9]{8}'],
    });
    expect(m.mask('x correct-horse-battery y short acct-12345678')).toBe(
      `x ${MASK} y short ${MASK}`,
    );
  });

  it('finds a secret split across stream chunks and masks every PEM line', () => {
    const stream = masker.stream();
    let out = '';
    for (const chunk of ['export DB_PASS', 'WORD=hun', 'ter2\r\n', '-----BEGIN PRIVATE KEY-----\r\nMIIB', 'secretline\r\n-----END PRIVATE KEY-----\r\n$ ']) {
      out += stream.push(chunk);
    }
    out += stream.flush();
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('MIIBsecretline');
    expect(out).toContain(`export DB_PASSWORD=${MASK}\r\n`);
    expect(out).toContain('-----END PRIVATE KEY-----\r\n$ ');
  });

  it('releases an endless line once it exceeds the buffer', () => {
    const stream = masker.stream(100);
    expect(stream.push('x'.repeat(50))).toBe('');
    expect(stream.push('x'.repeat(60))).toBe('x'.repeat(110));
    expect(stream.pendingLength).toBe(0);
  });

  it('is linear on hostile input', () => {
    const started = Date.now();
    masker.mask(`${'a'.repeat(20000)}password${'b'.repeat(20000)}`);
    masker.mask('eyJ'.repeat(10000));
    masker.mask(`Bearer ${'x'.repeat(50000)}`);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
