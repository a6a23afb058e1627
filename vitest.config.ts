// The test tiers, all run by `npm test`:
//   unit     pure functions (builders, schedules, cursors, parsers)
//   job      the sync job against the Freshdesk fake and the sink receiver, real HTTP on loopback
//   cluster  integration (real kube-apiserver + etcd) and e2e (plus kube-controller-manager and the
//            test kubelet); one control plane, started once by the global setup.
import { defineConfig } from 'vitest/config';

/** Ship tools (helm, promtool, gitops-check, actionlint) and dist/, built on first use and cached: nothing skips. */
const prerequisites = 'test/support/prerequisites.ts';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], globalSetup: [prerequisites], testTimeout: 30_000 } },
      { test: { name: 'job', include: ['test/job/**/*.test.ts', 'test/fakes/**/*.test.ts'], globalSetup: [prerequisites], testTimeout: 120_000 } },
      {
        test: {
          name: 'cluster',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: [prerequisites, 'test/controlplane/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
