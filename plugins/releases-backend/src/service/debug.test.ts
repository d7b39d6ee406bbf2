import { TestDatabases } from '@backstage/backend-test-utils';
import { startClusterSim } from '@fincloud/cluster-sim';
import { SEED, component, startHarness, virtualService } from '../__testUtils__/harness';
jest.setTimeout(60_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
it('debug', async () => {
  const sim = await startClusterSim({ manualClock: true, seed: SEED });
  const h = await startHarness({ knex: await databases.init('SQLITE_3'), sim });
  sim.clock.advance(15_000);
  const release = await h.service.create(component('payment-gateway'), {
    image: 'registry.fincloud.example/payments/payment-gateway:2.8.0', strategy: 'canary',
    steps: [{ weight: 10, pause: { seconds: 30 } }, { weight: 50 }, { weight: 100 }] }, { ref: 'user:default/pete' });
  for (const ms of [10_000, 1_000, 30_000]) {
    await h.advance(ms);
    const s = (await h.store.get(release.id))!;
    console.log(ms, s.record.release.state, s.record.release.reason, s.record.release.drift, s.intentGeneration, s.appliedGeneration, JSON.stringify(s.applied?.http), JSON.stringify(virtualService(sim,'payments','payment-gateway')?.spec));
  }
  await sim.stop();
});
