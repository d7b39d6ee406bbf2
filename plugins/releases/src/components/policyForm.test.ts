import { formToPolicy, policyToForm } from './policyForm';

describe('the traffic policy form', () => {
  it('round-trips a policy and leaves out what is not set', () => {
    const policy = {
      subset: 'canary' as const,
      connectionPool: {
        tcp: { maxConnections: 100 },
        http: { http1MaxPendingRequests: 10 },
      },
      outlierDetection: { consecutive5xxErrors: 5, interval: '10s' },
      rateLimit: {
        maxTokens: 50,
        tokensPerFill: 10,
        fillIntervalSeconds: 1,
        mode: 'shadow' as const,
      },
    };
    expect(formToPolicy(policyToForm(policy))).toEqual({ policy, errors: {} });
    expect(formToPolicy(policyToForm({}))).toEqual({
      policy: { subset: 'all' },
      errors: {},
    });
  });

  it("keys field errors by the lint's paths", () => {
    const form = policyToForm({});
    form.pool.enabled = true;
    form.pool.maxConnections = '-3';
    form.outlier.enabled = true;
    form.outlier.interval = 'ten seconds';
    form.outlier.maxEjectionPercent = '120';
    form.rateLimit.enabled = true;
    expect(formToPolicy(form).errors).toEqual({
      'connectionPool.tcp.maxConnections': 'A whole number, at least 1',
      'outlierDetection.interval': 'A duration such as 500ms, 10s or 1m',
      'outlierDetection.maxEjectionPercent': 'A whole number from 0 to 100',
      'rateLimit.maxTokens': 'Required for a rate limit',
      'rateLimit.tokensPerFill': 'Required for a rate limit',
      'rateLimit.fillIntervalSeconds': 'Required for a rate limit',
    });
  });
});
