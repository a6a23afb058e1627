// What build of the operator is running, for tenantsync_build_info and the startup log line: the
// version from the nearest package.json named tenant-sync (the image ships it beside dist/), and Node's.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BuildInfo {
  readonly version: string;
  readonly nodeVersion: string;
}

/** Reads the version once; "unknown" when no package.json of tenant-sync is found above `from`. */
export function readBuildInfo(from: string = dirname(fileURLToPath(import.meta.url))): BuildInfo {
  return { version: packageVersion(from) ?? 'unknown', nodeVersion: process.version };
}

function packageVersion(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'tenant-sync' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no (readable) package.json here: look further up
    }
    if (dirname(dir) === dir) return undefined;
  }
}
