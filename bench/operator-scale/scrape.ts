// The bench's reads of an operator's /metrics. A read that fails (a connection reset by a replica busy
// taking over, say) is tried again, up to 5 times a second apart, instead of ending the whole benchmark.
import type { OperatorProcess } from '../../test/support/operator-process.js';

export async function scrape(operator: OperatorProcess, attempts = 5): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operator.metrics();
    } catch (error) {
      if (attempt >= attempts) throw new Error(`/metrics of operator pid ${operator.pid} failed ${attempts} times: ${String(error)}`, { cause: error });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
