// Termination messages a sync pod must never get applied: garbage, a result cut to the kubelet's last
// 4,096 bytes, wrong versions and shapes. Each carries a cursor far ahead of anything acknowledged, so
// applying any of them would show as a cursor that moved.
import type { JobResult } from '../../sync-job/contract.js';
import type { Random } from './random.js';

/** The kubelet keeps the last 4,096 bytes of a termination message file. */
export const kubeletMessageBytes = 4096;

export interface BadResult {
  kind: string;
  message: string;
}

/** A valid result whose every stream has cursor `aheadAt`. */
export function resultAhead(startedAt: string, aheadAt: string, streams: readonly string[]): JobResult {
  return {
    version: 1,
    outcome: 'Succeeded',
    startedAt,
    finishedAt: startedAt,
    streams: Object.fromEntries(streams.map((s) => [s, { outcome: 'Succeeded' as const, records: 7, cursor: { updatedAt: aheadAt, ids: ['999'] } }])),
  };
}

function randomText(random: Random, length: number): string {
  const alphabet = 'abcXYZ019 {}[]":,\\\n\t-_.ü€💥';
  const chars = [...alphabet];
  return Array.from({ length }, () => random.pick(chars)).join('');
}

/** One bad termination message of a random kind; `good` is a valid result whose cursors are ahead. */
export function badResult(random: Random, good: JobResult): BadResult {
  const text = JSON.stringify(good);
  const kinds: (() => BadResult)[] = [
    () => ({ kind: 'random text', message: randomText(random, random.int(1, 600)) }),
    () => ({ kind: 'cut JSON', message: text.slice(0, random.int(1, text.length - 1)) }),
    () => {
      // An oversized result (a long error) as the kubelet leaves it: only its last 4,096 bytes.
      const big = JSON.stringify({ ...good, error: 'E'.repeat(random.int(4100, 9000)) });
      return { kind: 'oversized result, kubelet-truncated', message: big.slice(-kubeletMessageBytes) };
    },
    () => ({ kind: 'wrong version', message: JSON.stringify({ ...good, version: random.pick([0, 2, '1', null]) }) }),
    () => ({ kind: 'no version', message: JSON.stringify({ ...good, version: undefined }) }),
    () => ({ kind: 'unknown outcome', message: JSON.stringify({ ...good, outcome: random.pick(['Success', 'ok', '', 1]) }) }),
    () => {
      const streams = structuredClone(good.streams) as Record<string, Record<string, unknown>>;
      const first = Object.values(streams)[0]!;
      first.cursor = random.pick([{ updatedAt: 'tomorrow' }, { updatedAt: 12 }, 'cursor', { ids: [1, 2] }]);
      return { kind: 'malformed cursor', message: JSON.stringify({ ...good, streams }) };
    },
    () => {
      const streams = structuredClone(good.streams) as Record<string, Record<string, unknown>>;
      Object.values(streams)[0]!.records = random.pick([-1, 1.5, '7', null]);
      return { kind: 'bad record count', message: JSON.stringify({ ...good, streams }) };
    },
    () => ({ kind: 'JSON of another shape', message: JSON.stringify(random.pick([[good], 'Succeeded', 1, null, { result: good }])) }),
    () => ({ kind: 'log lines', message: `{"level":30,"msg":"run finished"}\n${text}\ntrailing` }),
  ];
  return random.pick(kinds)();
}
