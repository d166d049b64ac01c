import type { SrvRecord } from './resolver.js';

/**
 * Orders SRV records for use (RFC 2782, "Usage rules"): lowest priority first, and within a priority
 * a weighted random order. `random` returns a number in [0, 1), like Math.random; tests seed it.
 *
 * RFC 2782: "arrange all SRV RRs (that have not been ordered yet) in any order, except that all those
 * with weight 0 are placed at the beginning of the list. Compute the sum of the weights of those RRs,
 * and with each RR associate the running sum in the selected order. Then choose a uniform random
 * number between 0 and the sum computed (inclusive), and select the RR whose running sum value is the
 * first in the selected order which is greater than or equal to the random number selected."
 */
export function orderSrvRecords(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  const priorities = [...new Set(records.map((record) => record.priority))].sort((a, b) => a - b);
  const ordered: SrvRecord[] = [];
  for (const priority of priorities) {
    const group = records.filter((record) => record.priority === priority);
    const pending = [...group.filter((record) => record.weight === 0), ...group.filter((record) => record.weight > 0)];
    while (pending.length > 0) {
      const sum = pending.reduce((total, record) => total + record.weight, 0);
      // Uniform over the integers 0..sum inclusive.
      const pick = Math.min(sum, Math.floor(random() * (sum + 1)));
      let running = 0;
      let index = pending.findIndex((record) => {
        running += record.weight;
        return running >= pick;
      });
      if (index < 0) index = pending.length - 1;
      ordered.push(...pending.splice(index, 1));
    }
  }
  return ordered;
}
