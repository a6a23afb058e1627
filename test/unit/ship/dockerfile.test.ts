// The Dockerfile, checked without a Docker engine: its build stage is replayed in a temp folder with only
// the files it COPYs (so the compile sees what `docker build` would), and every path the runtime stages copy
// and every entrypoint they name must exist in that build output; the runtime needs production deps only.
// The compiled entrypoints then run the way the image runs them: as the image's user (when this test runs
// as root), with the image's ENV, from a read-only working folder.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { desiredCronJob, syncUserId } from '../../../operator/reconcile/desired-cronjob.js';
import { effectiveSchedule } from '../../../operator/reconcile/schedule.js';
import { ownerOf, tenantSync } from '../reconcile/fixtures.js';
import { ImageFs, copyTarget, isDockerignored, parseCopy, parseDockerfile, parseDockerignore, parseExec, type Stage } from './dockerfile.js';
import { operatorImageMallocArenaMax, operatorImageNodeOptions } from '../../support/operator-process.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const stages = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
const ignore = parseDockerignore(readFileSync(join(repoRoot, '.dockerignore'), 'utf8'));
const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const compileTimeoutMs = 180_000;

const stage = (name: string): Stage => {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`Dockerfile has no stage ${name}`);
  return found;
};
const keyword = (s: Stage, k: string) => s.instructions.filter((i) => i.keyword === k);


let work: string;
/** Image filesystems of the stages, by stage name. */
const fs = new Map<string, ImageFs>();
let compile: { status: number | null; output: string };

/** Replays the build stage: COPY from the context (less .dockerignore) into `work`, `npm ci` as a link, then the real `npm run build` compile. */
function replayBuildStage(): void {
  const build = stage('build');
  const image = new ImageFs();
  let workdir = '/';
  for (const ins of build.instructions) {
    if (ins.keyword === 'WORKDIR') workdir = posix.resolve(workdir, ins.args);
    if (ins.keyword === 'COPY') {
      const copy = parseCopy(ins);
      for (const source of copy.sources) {
        const target = copyTarget(workdir, source, copy.dest);
        const host = join(work, target);
        cpSync(join(repoRoot, source), host, { recursive: true, filter: (src) => !isDockerignored(posix.relative(repoRoot, src) || '.', ignore) });
        image.mount(target, host);
      }
    }
    if (ins.keyword === 'RUN' && /\bnpm ci\b/.test(ins.args)) {
      // The dependencies `npm ci` would install from the same package-lock.json.
      symlinkSync(join(repoRoot, 'node_modules'), join(work, workdir, 'node_modules'));
    }
    if (ins.keyword === 'RUN' && /\bnpm run build\b/.test(ins.args)) {
      const tsc = join(work, workdir, 'node_modules/typescript/bin/tsc');
      const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: join(work, workdir), encoding: 'utf8' });
      compile = { status: run.status, output: `${run.stdout}${run.stderr}` };
      image.mount(workdir, join(work, workdir));
    }
  }
  fs.set('build', image);
}

/**
 * The dependency stages (every stage but build that runs `npm ci`, and those built FROM one): their COPYs
 * from the context, and node_modules as the link `npm ci` would fill (which packages each installs is
 * installedDependencies' job).
 */
function replayDependencyStages(): void {
  const runsNpmCi = (s: Stage): boolean =>
    keyword(s, 'RUN').some((r) => /\bnpm ci\b/.test(r.args)) || stages.some((p) => p.name === s.base && runsNpmCi(p));
  for (const s of stages.filter((x) => x.name !== 'build' && runsNpmCi(x))) {
    const chain: Stage[] = [];
    for (let c: Stage | undefined = s; c; c = stages.find((p) => p.name === c!.base)) chain.unshift(c);
    const image = new ImageFs();
    let workdir = '/';
    for (const ins of chain.flatMap((c) => c.instructions)) {
      if (ins.keyword === 'WORKDIR') workdir = posix.resolve(workdir, ins.args);
      if (ins.keyword === 'COPY' && parseCopy(ins).from === undefined) {
        const copy = parseCopy(ins);
        for (const source of copy.sources) image.mount(copyTarget(workdir, source, copy.dest), join(repoRoot, source));
      }
      if (ins.keyword === 'RUN' && /\bnpm ci\b/.test(ins.args)) image.mount(posix.join(workdir, 'node_modules'), join(repoRoot, 'node_modules'));
    }
    fs.set(s.name, image);
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tenantsync-dockerfile-'));
  replayBuildStage();
  replayDependencyStages();
}, compileTimeoutMs);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The image filesystem of a runtime stage (following FROM <earlier stage>), each COPY --from resolved. */
function runtimeFs(name: string): { image: ImageFs; workdir: string; missing: string[] } {
  const s = stage(name);
  const parent = stages.find((p) => p.name === s.base);
  const inherited = parent ? runtimeFs(parent.name) : { image: new ImageFs(), workdir: '/', missing: [] as string[] };
  const { image, missing } = inherited;
  let workdir = inherited.workdir;
  for (const ins of s.instructions) {
    if (ins.keyword === 'WORKDIR') workdir = posix.resolve(workdir, ins.args);
    if (ins.keyword !== 'COPY') continue;
    const copy = parseCopy(ins);
    for (const source of copy.sources) {
      const target = copyTarget(workdir, source, copy.dest);
      if (copy.from !== undefined) {
        const host = fs.get(copy.from)?.resolve(source);
        if (host === undefined) missing.push(`line ${ins.line}: ${source} from stage ${copy.from}`);
        else image.mount(target, host);
      } else {
        image.mount(target, join(repoRoot, source));
      }
    }
  }
  return { image, workdir, missing };
}

/** The last value of an instruction in a target, following FROM <earlier stage>. */
function inherited(target: string, k: string): Stage['instructions'] {
  const chain: Stage[] = [];
  for (let s: Stage | undefined = stage(target); s; s = stages.find((p) => p.name === s!.base)) chain.unshift(s);
  return chain.flatMap((s) => keyword(s, k));
}

/** USER of a target as numbers (a name would not be checkable against runAsNonRoot). */
function imageUser(target: string): { uid: number; gid: number } {
  const user = inherited(target, 'USER').at(-1)?.args;
  const m = /^(\d+):(\d+)$/.exec(user ?? '');
  if (!m) throw new Error(`USER of ${target} is ${user ?? 'unset'}, not <uid>:<gid>`);
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

/** The ENV of a target (`ENV K=V K2=V2` forms). */
function imageEnv(target: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of inherited(target, 'ENV')) {
    for (const m of ins.args.matchAll(/(\w+)=("[^"]*"|\S*)/g)) env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/** The stage a target's node_modules come from (`COPY --from=<stage> .../node_modules`). */
function nodeModulesStage(target: string): Stage {
  for (let s: Stage | undefined = stage(target); s; s = stages.find((p) => p.name === s!.base)) {
    const copy = keyword(s, 'COPY').map(parseCopy).find((c) => c.from !== undefined && c.sources.some((src) => /node_modules\/?$/.test(src)));
    if (copy) return stage(copy.from!);
  }
  throw new Error(`target ${target} copies no node_modules from another stage`);
}

/**
 * The packages the stage that fills a target's node_modules installs: package.json's "dependencies" once
 * it runs `npm ci --omit=dev`, less those a later `npm pkg delete dependencies.<name>` removes (with
 * `npm prune` in the same RUN, which deletes their files).
 */
function installedDependencies(target: string): Set<string> {
  const chain: Stage[] = [];
  for (let s: Stage | undefined = nodeModulesStage(target); s; s = stages.find((p) => p.name === s!.base)) chain.unshift(s);
  const installed = new Set<string>();
  for (const run of chain.flatMap((s) => keyword(s, 'RUN'))) {
    if (/\bnpm ci\b/.test(run.args)) {
      expect(run.args, `line ${run.line}: npm ci without --omit=dev`).toMatch(/--omit=dev/);
      for (const name of Object.keys(packageJson.dependencies)) installed.add(name);
    }
    const deleted = [...run.args.matchAll(/\bdependencies\.(@?[\w./-]+)/g)].map((m) => m[1]!);
    if (deleted.length > 0) expect(run.args, `line ${run.line}: npm pkg delete without npm prune leaves the files`).toMatch(/\bnpm prune\b/);
    for (const name of deleted) installed.delete(name);
  }
  return installed;
}

/** The packages a compiled program loads: bare imports of every module reachable from it (imports, import(), worker URLs). */
function loadedPackages(program: string): Set<string> {
  const dist = join(work, '/src/dist');
  const packages = new Set<string>();
  const seen = new Set<string>();
  const pending = [join(dist, posix.relative('/app/dist', program))];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    // `from` after - or a quote is inside a string (e.g. the flag name 'sync-env-from'), not an import.
    for (const m of code.matchAll(/(?:(?<![-'"])\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bnew URL\(\s*)['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) {
        const next = join(file, '..', spec);
        if (!next.endsWith('.js')) throw new Error(`${file}: relative import ${spec} is not a .js file`);
        pending.push(next);
      } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  }
  return packages;
}

describe('Dockerfile', () => {
  it('builds on Node 24 and has the stages operator (default) and sync-job', () => {
    expect(stages.every((s) => s.base.startsWith('node:24') || stages.some((p) => p.name === s.base))).toBe(true);
    expect(stages.at(-1)?.name).toBe('operator');
    expect(stages.map((s) => s.name)).toContain('sync-job');
  });

  it('pins every base image by digest (a rebuild of a release gets the same base), with its tag kept for readers', () => {
    const bases = stages.filter((s) => !stages.some((p) => p.name === s.base)).map((s) => s.base);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toMatch(/^[a-z0-9./-]+:[\w.-]+@sha256:[a-f0-9]{64}$/);
  });

  it('copies from the build context only paths that exist and that .dockerignore keeps', () => {
    const problems: string[] = [];
    for (const s of stages) {
      for (const copy of keyword(s, 'COPY').map(parseCopy).filter((c) => c.from === undefined)) {
        for (const source of copy.sources) {
          try {
            statSync(join(repoRoot, source));
          } catch {
            problems.push(`line ${copy.line}: ${source} does not exist`);
          }
          if (isDockerignored(source, ignore)) problems.push(`line ${copy.line}: ${source} is excluded by .dockerignore`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('compiles with only the files the build stage copies', () => {
    expect(compile.output).toBe('');
    expect(compile.status).toBe(0);
  });

  it('the operator image runs node with the options the benchmarks and tests measure', () => {
    expect(imageEnv('operator').NODE_OPTIONS).toBe(operatorImageNodeOptions);
    expect(imageEnv('operator').MALLOC_ARENA_MAX).toBe(operatorImageMallocArenaMax);
  });

  for (const [target, program] of [
    ['operator', '/app/dist/operator/main.js'],
    ['sync-job', '/app/dist/sync-job/main.js'],
  ] as const) {
    describe(`target ${target}`, () => {
      it(`runs ${program}, which the build output has`, () => {
        const { image, missing } = runtimeFs(target);
        expect(missing).toEqual([]);
        const entrypoint = keyword(stage(target), 'ENTRYPOINT').map(parseExec).at(-1);
        expect(entrypoint).toEqual(['node', program]);
        expect(image.resolve(program), `${program} is not in the image`).toBeDefined();
      });
    });
  }

  for (const [target, program] of [
    ['operator', '/app/dist/operator/main.js'],
    ['sync-job', '/app/dist/sync-job/main.js'],
  ] as const) {
    it(`target ${target} installs exactly the production dependencies ${program} loads (build-only ones stay out)`, () => {
      const installed = installedDependencies(target);
      const loaded = loadedPackages(program);
      expect(loaded.size).toBeGreaterThan(0);
      const hint = 'package.json "dependencies" minus what the stage that installs this image\'s node_modules removes (npm pkg delete + npm prune)';
      expect([...loaded].filter((p) => !installed.has(p)).sort(), `loaded by ${program} but not installed: ${hint}`).toEqual([]);
      expect([...installed].filter((p) => !loaded.has(p)).sort(), `installed but never loaded by ${program}: make it a devDependency or remove it in the stage (${hint})`).toEqual([]);
    });
  }

  it('the sync image has no Kubernetes client; the CRD generator\'s yaml is a devDependency', () => {
    expect(installedDependencies('sync-job').has('@kubernetes/client-node')).toBe(false);
    expect(Object.keys(packageJson.dependencies)).not.toContain('yaml');
  });

  it("runs as the numeric non-root user the sync pods (syncUserId) and the chart's operator pods run as", () => {
    const values = parse(readFileSync(join(repoRoot, 'charts/tenant-sync/values.yaml'), 'utf8')) as { podSecurityContext: { runAsUser: number; runAsGroup: number } };
    expect(syncUserId).toBeGreaterThan(0);
    expect(values.podSecurityContext.runAsUser).toBe(syncUserId);
    expect(values.podSecurityContext.runAsGroup).toBe(syncUserId);
    for (const target of ['operator', 'sync-job']) {
      expect(imageUser(target), target).toEqual({ uid: syncUserId, gid: syncUserId });
    }
  });

  it('points HOME at /tmp, the one writable folder of the operator and sync pods', () => {
    for (const target of ['operator', 'sync-job']) expect(imageEnv(target).HOME, target).toBe('/tmp');
    // The sync pod the operator builds: read-only root filesystem, an emptyDir at /tmp.
    const tenant = tenantSync({ interval: '1h' });
    const pod = desiredCronJob({
      owner: ownerOf(tenant),
      spec: tenant.spec,
      schedule: effectiveSchedule(tenant.spec, 'tenants', 'acme'),
      defaultSyncImage: 'ghcr.io/tenant-sync/sync-job:0.1.0',
      secretsMissing: false,
    }).spec!.jobTemplate.spec!.template.spec!;
    const container = pod.containers[0]!;
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(tmp?.readOnly).not.toBe(true);
    expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  describe('the compiled entrypoints, run as the image runs them (its user, its ENV, a read-only working folder)', () => {
    let readOnlyCwd: string;
    let node: string;
    beforeAll(() => {
      // The build output must be readable by the image's user, like /app in the image.
      chmodSync(work, 0o755);
      readOnlyCwd = join(work, 'cwd');
      mkdirSync(readOnlyCwd);
      chmodSync(readOnlyCwd, 0o555);
      // This node, where the image's user can run it (the cache it comes from may be private to root).
      node = join(work, 'node');
      try {
        linkSync(process.execPath, node);
      } catch {
        copyFileSync(process.execPath, node); // keeps the mode
      }
    });

    /** Runs the target's ENTRYPOINT with args; as root, under the image's uid/gid so nothing but /tmp is writable. */
    function run(target: string, args: string[]) {
      const [command, program] = keyword(stage(target), 'ENTRYPOINT').map(parseExec).at(-1)!;
      expect(command).toBe('node');
      const host = runtimeFs(target).image.resolve(program!);
      expect(host, `${program} is not in the image`).toBeDefined();
      const asImageUser = process.getuid?.() === 0 ? imageUser(target) : {};
      const result = spawnSync(node, [host!, ...args], {
        cwd: readOnlyCwd,
        env: { PATH: process.env.PATH, ...imageEnv(target) },
        encoding: 'utf8',
        timeout: 60_000,
        ...asImageUser,
      });
      expect(readdirSync(readOnlyCwd), 'written into the working folder').toEqual([]);
      return result;
    }

    it('operator --help prints the usage and exits 0', () => {
      const r = run('operator', ['--help']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Usage: /);
      expect(r.stdout).toContain('--health-addr');
      expect(r.stdout).toContain('--sync-image');
    });

    it('operator with an unknown flag exits 2 naming it', () => {
      const r = run('operator', ['--bogus-flag=1']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^tenant-sync operator: unknown flag --bogus-flag\n/);
      expect(r.stdout).toBe('');
    });

    it('sync-job --help prints the usage and exits 0', () => {
      const r = run('sync-job', ['--help']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^usage: sync-job /);
      expect(r.stdout).toContain('--config FILE');
    });

    it('can fail: the image user cannot write the working folder', () => {
      const write = spawnSync(node, ['-e', 'require("node:fs").writeFileSync("x", "x")'], { cwd: readOnlyCwd, encoding: 'utf8', ...(process.getuid?.() === 0 ? imageUser('operator') : {}) });
      expect(write.status).not.toBe(0);
      expect(write.stderr).toMatch(/EACCES|EROFS|EPERM/);
    });
  });
});

describe('.dockerignore', () => {
  it('keeps node_modules, dist, tests and secrets-prone folders out of the context', () => {
    for (const path of ['node_modules', 'operator/node_modules/x', 'dist/operator/main.js', '.git/config', 'test/unit/x.test.ts', 'operator/api/crd.test.ts']) {
      expect(isDockerignored(path, ignore), path).toBe(true);
    }
    for (const path of ['package.json', 'operator/main.ts', 'sync-job/contract.ts']) {
      expect(isDockerignored(path, ignore), path).toBe(false);
    }
  });
});
