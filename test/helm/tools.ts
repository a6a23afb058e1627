// Where the chart tests find helm, promtool, gitops-check and actionlint: the binaries test/helm/build.sh builds from the Go
// wrapper modules into the cache (~/.cache/tenant-sync/<tool>-<version>/bin), at the versions pinned there.
// The tests' global setup (test/support/prerequisites.ts) builds missing tools before any test runs. Should a
// tool still be missing, tests that need it skip, unless TENANTSYNC_REQUIRE_SHIP_TOOLS=1 (CI): then a missing
// tool (not built, or built for other sources than today's, which gives another version folder) fails them.
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from '../controlplane/paths.js';

const here = fileURLToPath(new URL('.', import.meta.url));

export interface ShipTool {
  name: 'helm' | 'promtool' | 'gitops-check' | 'actionlint';
  version: string;
  /** Where build.sh puts it; `available` tells whether it is there. */
  path: string;
  available: boolean;
  /** The command that builds it. */
  buildCommand: string;
}

/** module undefined: our own tool, versioned like build.sh does, by a hash of go.mod, go.sum and its *.go. */
const tools: Record<ShipTool['name'], { moduleDir: string; module: string | undefined }> = {
  helm: { moduleDir: 'go', module: 'helm.sh/helm/v4' },
  promtool: { moduleDir: 'promtool', module: 'github.com/prometheus/prometheus' },
  'gitops-check': { moduleDir: 'gitops-check', module: undefined },
  actionlint: { moduleDir: 'actionlint', module: 'github.com/rhysd/actionlint' },
};

/** The tool at the version its wrapper go.mod pins. */
export function shipTool(name: ShipTool['name']): ShipTool {
  const { moduleDir, module } = tools[name];
  const read = (file: string) => readFileSync(join(here, moduleDir, file));
  const version =
    module === undefined
      ? createHash('sha256')
          .update(Buffer.concat(['go.mod', 'go.sum', ...readdirSync(join(here, moduleDir)).filter((f) => f.endsWith('.go')).sort()].map(read)))
          .digest('hex')
          .slice(0, 12)
      : new RegExp(`^\\s*${module.replaceAll('.', '\\.')} (v\\S+)`, 'm').exec(read('go.mod').toString())?.[1];
  if (version === undefined) throw new Error(`test/helm/${moduleDir}/go.mod does not require ${module}: run test/helm/${moduleDir}/gen-go-mod.sh`);
  const path = join(cacheRoot(), `${name}-${version}`, 'bin', name);
  return { name, version, path, available: isExecutable(path), buildCommand: `bash test/helm/build.sh ${name}` };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The variable that turns a missing tool from a skip into a failure (CI sets it, so CI cannot pass by skipping). */
export const requireShipToolsVariable = 'TENANTSYNC_REQUIRE_SHIP_TOOLS';

export function shipToolsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[requireShipToolsVariable] === '1';
}

export class ShipToolMissingError extends Error {
  override name = 'ShipToolMissingError';
}

/**
 * Why a test that needs the tool is skipped, or undefined when it can run. Throws ShipToolMissingError
 * instead when TENANTSYNC_REQUIRE_SHIP_TOOLS=1, so the test file fails rather than skips.
 */
export function missingToolMessage(tool: ShipTool, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (tool.available) return undefined;
  const message = `${tool.name} ${tool.version} is not built (${tool.path}): run \`${tool.buildCommand}\``;
  if (shipToolsRequired(env)) throw new ShipToolMissingError(`${message} (${requireShipToolsVariable}=1: tests that need ${tool.name} fail instead of skipping)`);
  return message;
}
