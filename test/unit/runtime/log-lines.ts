// A pino destination for unit tests: collects every line the logger writes, as raw text.
import { Writable } from 'node:stream';

export function logLines(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  let buffered = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
      done();
    },
  });
  return { lines, destination };
}
