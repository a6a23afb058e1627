// The operator's process leaves client-node's generated API clients out (operator/kube/lean-client-node.ts):
// a child process that loads the operator's KubeClient the way operator/main.ts does records every module
// it resolves; none may be a generated API client or model, and kubeconfig loading and authentication must
// still work (the stub is never called).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isGeneratedApiImport } from '../../../operator/kube/lean-client-node.js';
import { repoRoot } from '../../controlplane/paths.js';

const configUrl = 'file:///app/node_modules/@kubernetes/client-node/dist/config.js';

describe('isGeneratedApiImport', () => {
  it('matches only config.js importing ./gen/index.js', () => {
    expect(isGeneratedApiImport('./gen/index.js', configUrl)).toBe(true);
    expect(isGeneratedApiImport('./gen/index.js', 'file:///app/node_modules/@kubernetes/client-node/dist/api.js')).toBe(false);
    expect(isGeneratedApiImport('./gen/http/http.js', configUrl)).toBe(false);
    expect(isGeneratedApiImport('./gen/index.js', undefined)).toBe(false);
  });
});

describe('the operator process', () => {
  it('loads KubeConfig and authenticates requests without loading the generated API clients', () => {
    // Inside the repository (.tmp/ is ignored), so the probe resolves the repository's packages as an ES module.
    mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
    const dir = mkdtempSync(join(repoRoot, '.tmp', 'lean-client-node-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]',
        'users: [{name: u, user: {token: secret-token}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
    const script = join(dir, 'probe.mts');
    writeFileSync(
      script,
      `import { registerHooks } from 'node:module';
import { leaveOutGeneratedApiClients } from ${JSON.stringify(join(repoRoot, 'operator/kube/lean-client-node.ts'))};
leaveOutGeneratedApiClients();
// Registered last, so it runs first and sees every answer, the lean hook's included.
const resolved: string[] = [];
registerHooks({ resolve: (s, c, next) => { const r = next(s, c); resolved.push(r.url); return r; } });
const { loadKubeConfig } = await import(${JSON.stringify(join(repoRoot, 'operator/kube/client.ts'))});
const { RequestContext } = await import('@kubernetes/client-node/dist/gen/http/http.js');
const kc = loadKubeConfig({ kubeconfigPath: ${JSON.stringify(kubeconfig)} });
const ctx = new RequestContext('https://127.0.0.1:6443/api', 'GET');
await kc.applySecurityAuthentication(ctx);
console.log(JSON.stringify({ server: kc.getCurrentCluster()?.server, authorization: ctx.getHeaders().Authorization, resolved }));
`,
    );
    let out: { server: string; authorization: string; resolved: string[] };
    try {
      out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, encoding: 'utf8' })) as typeof out;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(out.server).toBe('https://127.0.0.1:6443');
    expect(out.authorization).toBe('Bearer secret-token');
    const clientNode = out.resolved.filter((u) => u.includes('/@kubernetes/client-node/'));
    expect(clientNode.some((u) => u.endsWith('/dist/config.js'))).toBe(true);
    expect(out.resolved.some((u) => u.includes('client-node-gen-stub'))).toBe(true);
    expect(clientNode.filter((u) => /\/dist\/gen\/(apis|models|index\.js)/.test(u))).toEqual([]);
  });
});
