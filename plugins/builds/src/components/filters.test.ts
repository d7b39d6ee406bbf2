import { unbuilt, userPortal } from '../__testUtils__/builds';
import { hasBuildsTab } from './filters';

describe('hasBuildsTab', () => {
  it('is on for services that say how they are built or where they run, off otherwise', () => {
    expect(hasBuildsTab(userPortal)).toBe(true);
    // Runs in a cluster, no build annotation: the tab says which to add.
    expect(hasBuildsTab(unbuilt)).toBe(true);
    expect(
      hasBuildsTab({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'docs-site' },
        spec: { type: 'website' },
      }),
    ).toBe(false);
  });
});
