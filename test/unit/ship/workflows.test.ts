// The GitHub Actions workflows (.github/workflows), which cannot run here, checked here: actionlint (built
// from its Go module by test/helm/build.sh) accepts them; every repository path and script they name exists
// (globs match something); the release builds the Dockerfile's targets into the images the chart defaults
// to; every action is pinned by commit SHA; pull requests run `.ci/run`; a tag signs and attests what it pushes.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, globSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { missingToolMessage, shipTool } from '../../helm/tools.js';
import { parseDockerfile } from './dockerfile.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const workflowsDir = join(repoRoot, '.github/workflows');
const files = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f));

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  steps: Step[];
  strategy?: { matrix?: Record<string, unknown[]> };
  env?: Record<string, string>;
  permissions?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
const workflows = new Map(files.map((f) => [f, parse(readFileSync(join(workflowsDir, f), 'utf8')) as Workflow]));
const workflow = (name: string) => {
  const w = workflows.get(name);
  if (w === undefined) throw new Error(`.github/workflows has no ${name} (${files.join(', ')})`);
  return w;
};

/** Outputs the workflows make themselves, and names that look like paths but are not in the repository. */
const notRepoPaths = /^(dist\/|linux\/|ghcr\.io\/|oci:|https?:|~\/|\/)/;

/**
 * The repository paths a workflow names: path-like words (with a `/`, or a top-level file such as
 * Dockerfile) in its `run` scripts and its steps' `with` values (not in `uses`, which names actions).
 */
function namedPaths(workflowYaml: string): string[] {
  const w = parse(workflowYaml) as Workflow;
  const texts = Object.values(w.jobs).flatMap((j) => j.steps.flatMap((s) => [s.run ?? '', ...Object.values(s.with ?? {}).map(String)]));
  const words = texts.flatMap((t) => t.split(/[\s'"(),|&;<>]+/));
  const paths = words.filter(
    (word) => (/^[\w.][\w.*-]*(\/[\w.*-]+)+\/?$/.test(word) || /^(Dockerfile|package\.json|LICENSE)$/.test(word)) && !notRepoPaths.test(word) && !word.includes('$'),
  );
  return [...new Set(paths)];
}
const exists = (path: string) => (/[*?[]/.test(path) ? globSync(path, { cwd: repoRoot }).length > 0 : existsSync(join(repoRoot, path)));

describe('the GitHub Actions workflows', () => {
  it('are ci.yaml (pull requests) and release.yaml (tags)', () => {
    expect(files.sort()).toEqual(['ci.yaml', 'release.yaml']);
  });

  const actionlint = shipTool('actionlint');
  const skip = missingToolMessage(actionlint);
  if (skip !== undefined) console.warn(`[workflows.test] actionlint check skipped: ${skip}`);
  it.skipIf(skip !== undefined)('pass actionlint', () => {
    const run = spawnSync(actionlint.path, ['-no-color', '-oneline', ...files.map((f) => join('.github/workflows', f))], { cwd: repoRoot, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it.skipIf(skip !== undefined)('actionlint does fail on a broken workflow (so the check above can fail)', () => {
    const broken = readFileSync(join(workflowsDir, 'release.yaml'), 'utf8').replace('${{ steps.build.outputs.digest }}', '${{ steps.nobuild.outputs.digest }}');
    const run = spawnSync(actionlint.path, ['-no-color', '-oneline', '-'], { cwd: repoRoot, encoding: 'utf8', input: broken });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/nobuild/);
  });

  for (const file of files) {
    it(`${file}: every path and script it names exists`, () => {
      const paths = namedPaths(readFileSync(join(workflowsDir, file), 'utf8'));
      expect(paths.length).toBeGreaterThan(0);
      expect(paths.filter((p) => !exists(p))).toEqual([]);
    });
  }

  it('the path check finds a path that does not exist', () => {
    const yaml = 'on: push\njobs:\n  a:\n    steps:\n      - run: bash tests/helm/build.sh helm && cp dist/x.yaml out\n      - with:\n          file: Dockerfile.release\n';
    expect(namedPaths(yaml)).toEqual(['tests/helm/build.sh']);
    expect(exists('tests/helm/build.sh')).toBe(false);
    expect(namedPaths(yaml.replace('Dockerfile.release', 'Dockerfile'))).toEqual(['tests/helm/build.sh', 'Dockerfile']);
  });

  it('names the scripts and files the release needs: .ci/run (executable), build.sh targets, the chart, its CRD', () => {
    const all = files.flatMap((f) => namedPaths(readFileSync(join(workflowsDir, f), 'utf8')));
    expect(all).toEqual(expect.arrayContaining(['.ci/run', 'test/helm/build.sh', 'charts/tenant-sync', 'charts/tenant-sync/crds/tenantsync.io_tenantsyncs.yaml', 'Dockerfile']));
    accessSync(join(repoRoot, '.ci/run'), constants.X_OK);
    const buildTargets = [...readFileSync(join(repoRoot, 'test/helm/build.sh'), 'utf8').matchAll(/^\s+([\w-]+)\)/gm)].map((m) => m[1]!);
    const text = files.map((f) => readFileSync(join(workflowsDir, f), 'utf8')).join('\n');
    for (const m of text.matchAll(/test\/helm\/build\.sh (\S+)/g)) expect(buildTargets).toContain(m[1]!.replace(/[^\w-].*$/, ''));
  });

  it('pull requests run .ci/run with CI=1', () => {
    const ci = workflow('ci.yaml');
    expect(Object.keys(ci.on)).toContain('pull_request');
    const job = Object.values(ci.jobs)[0]!;
    expect(job.env?.CI).toBe('1');
    expect(job.steps.map((s) => s.run?.trim())).toContain('.ci/run');
  });

  it('a tag builds multi-arch images of the Dockerfile targets the chart defaults to, signs and attests them', () => {
    const release = workflow('release.yaml');
    expect(release.on).toHaveProperty('push.tags');
    const images = release.jobs.images!;
    const targets = images.strategy!.matrix!.target as string[];
    const stageNames = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')).map((s) => s.name);
    for (const target of targets) expect(stageNames).toContain(target);
    const values = parse(readFileSync(join(repoRoot, 'charts/tenant-sync/values.yaml'), 'utf8')) as { image: { repository: string }; syncImage: { repository: string } };
    expect(targets.sort()).toEqual([values.image.repository, values.syncImage.repository].map((r) => r.split('/').at(-1)!).sort());
    const build = images.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
    expect(build.with).toMatchObject({ target: '${{ matrix.target }}', platforms: 'linux/amd64,linux/arm64', push: true });
    for (const job of [images, release.jobs.chart!]) {
      expect(job.steps.some((s) => s.run?.includes('cosign sign'))).toBe(true);
      expect(job.steps.some((s) => s.uses?.startsWith('actions/attest-build-provenance@'))).toBe(true);
      expect(job.permissions).toMatchObject({ 'id-token': 'write', attestations: 'write', packages: 'write' });
    }
    expect(release.jobs.chart!.steps.some((s) => /helm push .*oci|helm push "dist\/.*" "\$CHART_REPO"/.test(s.run ?? ''))).toBe(true);
    expect(release.jobs['github-release']!.steps.some((s) => /gh release create .*tenantsync\.io_tenantsyncs\.yaml/.test(s.run ?? ''))).toBe(true);
  });

  it('pins every action by commit SHA, with its version as a comment', () => {
    for (const file of files) {
      const uses = [...readFileSync(join(workflowsDir, file), 'utf8').matchAll(/uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length).toBeGreaterThan(0);
      for (const [, ref, comment] of uses) {
        expect(ref, file).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
        expect(comment, `${file}: ${ref}`).toMatch(/# v\d+\.\d+\.\d+/);
      }
    }
  });
});

describe('LICENSE', () => {
  it('is the Apache License 2.0 that package.json declares', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { license: string };
    expect(pkg.license).toBe('Apache-2.0');
    const license = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\//);
    expect(license).toContain('END OF TERMS AND CONDITIONS');
  });
});
