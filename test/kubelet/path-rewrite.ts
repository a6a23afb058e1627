// The path rewrite rule: a local process cannot see the pod's mount paths, so values that name them
// are rewritten to the per-pod directory. The program itself never learns which kubelet runs it.
//
// Rule: every volume mount (`mountPath` → `<podDir>/volumes/<volume>[/<subPath>]`) and the
// container's terminationMessagePath (→ `<podDir>/containers/<container>/termination-log`) form a
// mapping. An env var value, a command/args element, or the value part of a `--flag=value` argument
// that equals a mapped container path or starts with it followed by `/` is rewritten, longest container
// path first. Nothing else is rewritten (paths inside files, or built in code, stay as they are); a
// program that reads its paths from env and flags — like the sync job — therefore runs unchanged.
import { posix } from 'node:path';

export interface PathMapping {
  /** Absolute path inside the container, e.g. `/etc/tenantsync/config`. */
  containerPath: string;
  /** Where that path lives on this machine. */
  hostPath: string;
}

function normalised(mappings: readonly PathMapping[]): PathMapping[] {
  return mappings
    .map((m) => ({ containerPath: posix.normalize(m.containerPath).replace(/\/+$/, ''), hostPath: m.hostPath }))
    .filter((m) => m.containerPath.startsWith('/') && m.containerPath.length > 1)
    .sort((a, b) => b.containerPath.length - a.containerPath.length);
}

/** Rewrites one whole value (an env var value or one argv element); other values come back unchanged. */
export function rewritePath(value: string, mappings: readonly PathMapping[]): string {
  for (const { containerPath, hostPath } of normalised(mappings)) {
    if (value === containerPath) return hostPath;
    if (value.startsWith(`${containerPath}/`)) return hostPath + value.slice(containerPath.length);
  }
  return value;
}

/** Rewrites an argument: the whole value, or the value of `--flag=value` / `-f=value`. */
export function rewriteArgument(arg: string, mappings: readonly PathMapping[]): string {
  const whole = rewritePath(arg, mappings);
  if (whole !== arg) return whole;
  const flag = /^(--?[A-Za-z0-9][\w.-]*=)(.*)$/s.exec(arg);
  if (flag?.[1] === undefined || flag[2] === undefined) return arg;
  return flag[1] + rewritePath(flag[2], mappings);
}

export function rewriteEnv(env: Record<string, string>, mappings: readonly PathMapping[]): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, rewritePath(value, mappings)]));
}
