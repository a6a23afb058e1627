// Secret scrubbing for every string that leaves the process (logs, result, error messages):
// the API key, the sink token and the Basic-auth form of the key are replaced wherever they appear,
// also as JSON-escaped text (a response body quoting a secret, copied into an error and then written
// inside a JSON log line, carries it escaped once or twice) and with `/` escaped as `\/` (PHP-style JSON);
// a secret whose end was cut off (a quoted body truncated before redaction) loses what is left of it.

export const redactedMark = '[REDACTED]';

export type Redactor = (text: string) => string;

/** `text` as it appears inside a JSON string literal. */
function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** A function that replaces every given secret (and its Basic-auth, URL- and JSON-encoded forms) in a string. */
export function createRedactor(secrets: ReadonlyArray<string | undefined>): Redactor {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret.length < 4) continue;
    for (const form of [secret, Buffer.from(`${secret}:X`).toString('base64'), encodeURIComponent(secret)]) {
      let escaped = form;
      // Plain, escaped once (a quoted body) and twice (that body inside a JSON log line or result).
      for (let depth = 0; depth < 3; depth++) {
        needles.add(escaped);
        if (escaped.includes('/')) needles.add(escaped.replaceAll('/', '\\/'));
        escaped = jsonEscaped(escaped);
      }
    }
  }
  // Longest first, so a secret containing another (or an escaped form containing a plain one) is replaced whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  const cuttable = ordered.filter((needle) => needle.length > minPieceLength);
  return (text) => {
    let out = text;
    for (const needle of ordered) if (out.includes(needle)) out = out.split(needle).join(redactedMark);
    return cuttable.length > 0 ? redactCutOff(out, cuttable) : out;
  };
}

/** A secret's beginning this long or longer is redacted even without the rest (a quoted body cut short). */
const minPieceLength = 8;

/**
 * Replaces what is left of a secret whose end was cut off (e.g. a response body truncated to its first
 * characters before it reached the redactor): every run of text that matches the beginning of a secret
 * for at least `minPieceLength` characters, as far as it matches.
 */
function redactCutOff(text: string, needles: readonly string[]): string {
  const heads = needles.map((needle) => needle.slice(0, minPieceLength));
  let out = '';
  let from = 0;
  for (;;) {
    let at = -1;
    for (const head of heads) {
      const found = text.indexOf(head, from);
      if (found !== -1 && (at === -1 || found < at)) at = found;
    }
    if (at === -1) return out + text.slice(from);
    let length = 0;
    for (const needle of needles) {
      let matched = 0;
      while (matched < needle.length && at + matched < text.length && text[at + matched] === needle[matched]) matched++;
      length = Math.max(length, matched);
    }
    out += text.slice(from, at) + redactedMark;
    from = at + length;
  }
}
