// A small model of a Dockerfile build, for checking it where no Docker engine runs: parse the
// instructions, and replay each stage's COPY/WORKDIR into a map of image paths to files on this machine.
import { existsSync } from 'node:fs';
import { matchesGlob, posix } from 'node:path';

export interface Instruction {
  keyword: string;
  /** The arguments as written (continuation lines joined). */
  args: string;
  line: number;
}

export interface Stage {
  /** `FROM <base> AS <name>`; unnamed stages get their index. */
  name: string;
  base: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (comments dropped, `\` continuations joined, ARGs expanded in FROM). */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let pendingLine = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending === '') pendingLine = i + 1;
    if (line.startsWith('#')) return; // comment inside a continued instruction
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = `${pending}${line}`.trim();
    pending = '';
    const space = full.search(/\s/);
    instructions.push({ keyword: full.slice(0, space).toUpperCase(), args: full.slice(space + 1).trim(), line: pendingLine });
  });
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value = ''] = ins.args.split('=', 2) as [string, string?];
      globalArgs.set(name, value);
    } else if (ins.keyword === 'FROM') {
      const expanded = ins.args.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a?: string, b?: string) => globalArgs.get((a ?? b)!) ?? '');
      const [base = '', as, name] = expanded.split(/\s+/);
      stages.push({ name: as?.toUpperCase() === 'AS' && name ? name : String(stages.length), base, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

export interface CopyInstruction {
  from: string | undefined;
  sources: string[];
  dest: string;
  line: number;
}

/** COPY/ADD with its --from flag, sources and destination (JSON array form or plain words). */
export function parseCopy(ins: Instruction): CopyInstruction {
  const words = ins.args.startsWith('[') ? (JSON.parse(ins.args) as string[]) : ins.args.split(/\s+/);
  let from: string | undefined;
  const rest: string[] = [];
  for (const word of words) {
    if (word.startsWith('--from=')) from = word.slice('--from='.length);
    else if (!word.startsWith('--')) rest.push(word);
  }
  return { from, sources: rest.slice(0, -1), dest: rest.at(-1) ?? '', line: ins.line };
}

/** ENTRYPOINT/CMD in exec form (JSON array); shell form is returned as ["/bin/sh", "-c", ...]. */
export function parseExec(ins: Instruction): string[] {
  return ins.args.startsWith('[') ? (JSON.parse(ins.args) as string[]) : ['/bin/sh', '-c', ins.args];
}

/** .dockerignore patterns (comments and blanks dropped, leading "/" and "./" removed). */
export function parseDockerignore(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/^\.?\//, ''));
}

/** Whether a context path is left out of the build context: it or one of its parent folders matches a pattern. */
export function isDockerignored(path: string, patterns: readonly string[]): boolean {
  const parts = posix.normalize(path).replace(/\/$/, '').split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if (patterns.some((p) => !p.startsWith('!') && matchesGlob(prefix, p))) return true;
  }
  return false;
}

/** An image filesystem as mounts of host paths at image paths; later mounts shadow earlier ones. */
export class ImageFs {
  private readonly mounts: { imagePath: string; hostPath: string }[] = [];

  mount(imagePath: string, hostPath: string): void {
    this.mounts.push({ imagePath: posix.normalize(imagePath).replace(/(.)\/$/, '$1'), hostPath });
  }

  /** The host file behind an image path, when the image has it. */
  resolve(imagePath: string): string | undefined {
    const wanted = posix.normalize(imagePath).replace(/(.)\/$/, '$1');
    for (const m of [...this.mounts].reverse()) {
      if (wanted === m.imagePath || wanted.startsWith(`${m.imagePath}/`)) {
        const host = `${m.hostPath}${wanted.slice(m.imagePath.length)}`;
        if (existsSync(host)) return host;
      }
    }
    return undefined;
  }
}

/** Where `dest` of a COPY lands for one source, relative to WORKDIR, the way Docker resolves it. */
export function copyTarget(workdir: string, source: string, dest: string): string {
  const absDest = posix.isAbsolute(dest) ? dest : posix.join(workdir, dest);
  // "dir/" (or "./") as destination: the source keeps its base name; a directory source copies its content.
  if (dest.endsWith('/') || dest === '.') {
    return source.endsWith('/') ? absDest : posix.join(absDest, posix.basename(source));
  }
  return absDest;
}
