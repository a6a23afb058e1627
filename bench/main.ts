// `npm run bench -- <benchmark> [options]`: one sub-command per benchmark script (never timed tests).
//   memory       bench/sync-200k.ts: peak RSS of 200,000 tickets and of one ticket with huge conversations
//   throughput   bench/sync-throughput.ts: records/s vs a bare undici ceiling, latency + budgets, 429s
//   operator-scale  bench/operator-scale/main.ts: N TenantSyncs Ready vs a bare-writes ceiling and a controller-runtime peer
//   peers        bench/sync-peers/main.ts: records/min and deep-paging loss against Airbyte's and Singer's Freshdesk connectors
const benchmarks: Record<string, string> = { memory: './sync-200k.ts', throughput: './sync-throughput.ts', 'operator-scale': './operator-scale/main.ts', peers: './sync-peers/main.ts' };
const [name, ...rest] = process.argv.slice(2);
const script = name === undefined ? undefined : benchmarks[name];
if (script === undefined) {
  console.error(`usage: npm run bench -- <${Object.keys(benchmarks).join('|')}> [options]${name ? ` (unknown benchmark "${name}")` : ''}`);
  process.exit(2);
}
// The script reads its own options with parseArgs (process.argv from index 2).
process.argv = [process.argv[0]!, script, ...rest];
await import(script);
