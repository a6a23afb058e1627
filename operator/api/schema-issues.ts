// zod issues in the words the API server uses: field paths like spec.source.streams[1].name, so the
// operator's InvalidSpec message and `kubectl apply`'s rejection name a field the same way.
import type { z } from 'zod';

/** ['spec', 'source', 'streams', 1, 'name'] → "spec.source.streams[1].name". */
export function fieldPathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    const name = String(key);
    return text === '' ? name : `${text}.${name}`;
  }, '');
}

/** One line per issue, "spec.interval: must be …", joined with "; " — for a condition message. */
export function describeSchemaError(error: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  return error.issues.map((issue) => `${fieldPathOf([...prefix, ...issue.path]) || '<root>'}: ${issue.message}`).join('; ');
}
