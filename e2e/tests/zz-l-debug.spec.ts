import { expect, request, test } from '@playwright/test';
import { portalUrl } from '../harness/config';

test('debug card', async () => {
  test.setTimeout(200_000);
  const api = await request.newContext({ baseURL: portalUrl });
  let token = '';
  await expect(async () => {
    const r = await api.get('/api/auth/fincloud-dev/refresh', { headers: { 'x-fincloud-dev-user': 'pete' } });
    expect(r.status()).toBe(200);
    token = (await r.json()).backstageIdentity.token;
  }).toPass({ timeout: 60_000 });
  for (let i = 0; i < 6; i++) {
    const now = Date.now();
    for (const step of [60, undefined]) {
      const r = await api.get('/api/monitoring/entities/component/default/payment-gateway/dashboard', {
        headers: { authorization: `Bearer ${token}` },
        params: { from: String(now - 3600_000), to: String(now), ...(step ? { step: String(step) } : {}) },
      });
      const d = await r.json();
      const p = d.panels?.find((x: any) => x.id === 'request-rate');
      const pts = p?.series?.[0]?.points ?? [];
      console.log(new Date().toISOString(), 'step', step, d.step, 'to', new Date(d.to).toISOString(), 'series', p?.series?.length, 'last', JSON.stringify(pts.slice(-3)), p?.error);
    }
    await new Promise(r => setTimeout(r, 20_000));
  }
});
