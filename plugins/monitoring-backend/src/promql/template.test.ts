import { escapePromQLString, escapeRegex, promQLString } from './escape';
import { compileTemplate, renderTemplate, TemplateError } from './template';

const values = {
  namespace: 'payments',
  workload: 'payment-gateway',
  cluster: 'sim',
  rateInterval: '75s',
};

describe('compileTemplate', () => {
  it('turns variables in matcher values into holes and leaves the rest as text', () => {
    const t = compileTemplate(
      'sum by (v) (rate(x{ns="$namespace",w!="$workload",p=~"$workload-.+",v=~"$version"}[$__rate_interval]))',
    );
    expect(t.variables).toEqual(new Set(['namespace', 'workload', 'version']));
    expect(renderTemplate(t, values)).toBe(
      'sum by (v) (rate(x{ns="payments",w!="payment-gateway",p=~"payment-gateway-.+",v=~".*"}[75s]))',
    );
    expect(renderTemplate(t, { ...values, version: 'v2.1' })).toContain(
      'v=~"v2\\\\.1"',
    );
  });

  it('keeps $1 and the like of label_replace as text', () => {
    const t = compileTemplate(
      'label_replace(up{ns="$namespace"}, "dst", "$1", "src", "(.*)")',
    );
    expect(renderTemplate(t, values)).toBe(
      'label_replace(up{ns="payments"}, "dst", "$1", "src", "(.*)")',
    );
  });

  it.each([
    [
      'a variable outside a string',
      'up{ns=$namespace}',
      /outside a string literal/,
    ],
    [
      'a variable as a function argument',
      'label_replace(up, "x", "$workload", "y", "")',
      /label matcher value/,
    ],
    [
      'a variable in a single-quoted string',
      "up{ns='$namespace'}",
      /label matcher value/,
    ],
    [
      'a variable in a raw string',
      'up{ns=`$namespace`}',
      /label matcher value/,
    ],
    [
      '$version after =',
      'up{v="$version"}',
      /\$version may only be used after =~/,
    ],
    [
      '$__rate_interval in a string',
      'up{a="$__rate_interval"}',
      /belongs in \[\.\.\.\]/,
    ],
    [
      '$__rate_interval outside brackets',
      'rate(up[5m]) * $__rate_interval',
      /must stand alone/,
    ],
    [
      '$__rate_interval with other text',
      'rate(up[$__rate_interval + 1])',
      /must stand alone/,
    ],
    [
      'an unknown variable',
      'up{a="x"} * $threshold',
      /outside a string literal/,
    ],
    ['a comment', 'up # $namespace', /comments are not allowed/],
    [
      'an unterminated string',
      'up{a="$namespace}',
      /unterminated string literal/,
    ],
  ])('refuses %s', (_what, source, message) => {
    expect(() => compileTemplate(source)).toThrow(TemplateError);
    expect(() => compileTemplate(source)).toThrow(message);
  });

  it('accepts $__rate_interval in a subquery', () => {
    const t = compileTemplate(
      'max_over_time(rate(up{ns="$namespace"}[$__rate_interval])[1h:$__rate_interval])',
    );
    expect(renderTemplate(t, values)).toBe(
      'max_over_time(rate(up{ns="payments"}[75s])[1h:75s])',
    );
  });
});

describe('escaping', () => {
  it('escapes what a PromQL string literal needs', () => {
    expect(escapePromQLString('a"b\\c\nd\re\tf\u0001g\u007fh')).toBe(
      'a\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007fh',
    );
    expect(promQLString('ünï☃𝔘')).toBe('"ünï☃𝔘"');
  });

  it('refuses a string that is not well-formed Unicode', () => {
    expect(() => escapePromQLString('a\uD800b')).toThrow(/well-formed/);
  });

  it('quotes every RE2 metacharacter', () => {
    expect(escapeRegex('a.b*c+d?e(f)g|h[i]j{k}l^m$n\\o')).toBe(
      'a\\.b\\*c\\+d\\?e\\(f\\)g\\|h\\[i\\]j\\{k\\}l\\^m\\$n\\\\o',
    );
  });

  it('escapes regex holes twice: first for the regex, then for the string', () => {
    const t = compileTemplate('up{pod=~"$workload-[a-z0-9]+"}');
    expect(renderTemplate(t, { ...values, workload: 'a.b"c' })).toBe(
      'up{pod=~"a\\\\.b\\"c-[a-z0-9]+"}',
    );
  });
});
