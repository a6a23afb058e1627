// Secret scrubbing for every string that leaves the process (logs, result, error messages):
// the API key, the sink token and the Basic-auth form of the key are replaced wherever they appear.

export const redactedMark = '[REDACTED]';

export type Redactor = (text: string) => string;

/** A function that replaces every given secret (and its Basic-auth encodings) in a string. */
export function createRedactor(secrets: ReadonlyArray<string | undefined>): Redactor {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret.length < 4) continue;
    needles.add(secret);
    needles.add(Buffer.from(`${secret}:X`).toString('base64'));
    needles.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret containing another is replaced whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const needle of ordered) if (out.includes(needle)) out = out.split(needle).join(redactedMark);
    return out;
  };
}
