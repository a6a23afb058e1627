// The vitest configuration of `npm run chaos` (test/chaos/main.ts): the reliability scenarios at chaos
// sizes, one file at a time. The fast scenarios are also in `npm test` (vitest.config.ts), at small sizes;
// the cluster chaos (test/chaos/*.test.ts, its own control plane) runs only here.
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export const chaosProjects = {
  'job-faults': { files: ['test/job/faults-over-runs.test.ts'], cluster: false },
  specs: { files: ['test/integration/spec-fuzz.test.ts'], cluster: true },
  results: { files: ['test/integration/operator-bad-results.test.ts'], cluster: true },
  secrets: { files: ['test/e2e/secrets-and-isolation.test.ts'], cluster: true },
  cluster: { files: ['test/chaos/cluster-chaos.test.ts'], cluster: false },
} as const;

const hourMs = 3_600_000;

export default defineConfig({
  root: join(import.meta.dirname, '..', '..'),
  test: {
    maxWorkers: 1,
    fileParallelism: false,
    projects: Object.entries(chaosProjects).map(([name, { files, cluster }]) => ({
      test: {
        name,
        include: [...files],
        testTimeout: 4 * hourMs,
        hookTimeout: hourMs,
        fileParallelism: false,
        ...(cluster ? { globalSetup: ['test/controlplane/global-setup.ts'] } : {}),
      },
    })),
  },
});
