/**
 * The StatsD aggregator alone on one core: nanoseconds per line through StatsdAggregator.ingestPacket
 * (decoding the datagram's bytes included, the socket not), one line per packet and fifty, over the
 * keys bench/statsd/run.ts sends. Best of 8 rounds, so other load on the machine shows less.
 *
 *     node --import tsx bench/statsd/aggregate.ts
 */
import { StatsdAggregator } from '../../src/ingest/statsd/aggregate.js';
import { parseStatsdConfig } from '../../src/ingest/statsd/config.js';

const agg = new StatsdAggregator(parseStatsdConfig({}));
const lines: string[] = [];
for (let i = 0; i < 1000; i++) {
  if (i % 8 === 0) lines.push(`bench.timer${i % 100}:${i % 997}|ms`);
  else if (i % 8 === 1) lines.push(`bench.gauge${i % 50}:${i % 113}|g`);
  else lines.push(`bench.counter${i % 1000}:1|c`);
}
const packets = (per: number): Buffer[] => {
  const out: Buffer[] = [];
  for (let i = 0; i < lines.length; i += per) out.push(Buffer.from(lines.slice(i, i + per).join('\n')));
  return out;
};
for (const per of [1, 50]) {
  const pool = packets(per);
  const n = 500_000 / per;
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 8; round++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) agg.ingestPacket(pool[i % pool.length].toString());
    best = Math.min(best, ((performance.now() - t0) * 1e6) / (n * per));
    agg.clearAfterFlush();
  }
  console.log(`${String(per).padStart(2)} lines/packet: ${best.toFixed(0)} ns per line`);
}
