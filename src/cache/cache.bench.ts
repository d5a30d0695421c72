// Benchmark of the ingest hot path: MetricCache.add alone, and with the write-ahead log appending each
// point, in rounds of 1M points over 10k metrics; between rounds the WAL flushes and the cache is drained
// as the writer would (pop + release), so memory stays at one round's worth as in a running server.
// Names are reused strings (a receiver hands over fresh ones; their parsing is the receiver's cost).
// Run: node --import tsx src/cache/cache.bench.ts [rounds] [metrics]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricCache } from './cache.js';
import { crc32 } from './crc32.js';
import { WriteAheadLog } from './wal.js';

const rounds = Number(process.argv[2] ?? 5);
const metrics = Number(process.argv[3] ?? 10_000);
const PER_ROUND = 1_000_000;
const names = Array.from({ length: metrics }, (_, i) => `servers.host${i % 100}.cpu.core${i}.user`);

async function run(label: string, cache: MetricCache, wal?: WriteAheadLog): Promise<void> {
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const base = 1_700_000_000 + r * 1000;
    const t0 = performance.now();
    for (let i = 0; i < PER_ROUND; i++) cache.add(names[i % metrics], base + ((i / metrics) | 0), i * 0.5);
    rates.push((PER_ROUND / (performance.now() - t0)) * 1000);
    await wal?.flush();
    for (const m of names) cache.release(cache.pop(m)!);
  }
  rates.sort((a, b) => a - b);
  const f = (x: number) => `${(x / 1e6).toFixed(2)}M/s`;
  console.log(`${label}: add() best ${f(rates[rates.length - 1])}, median ${f(rates[rates.length >> 1])}`);
}

await run('cache', new MetricCache());

const dir = mkdtempSync(join(tmpdir(), 'carbonado-bench-wal-'));
try {
  const wal = new WriteAheadLog({ dir, flushInterval: 3_600_000, fsync: false });
  const cache = new MetricCache({ log: wal });
  await wal.open(cache);
  await run('cache + WAL append', cache, wal);
  const s = wal.stats();
  console.log(
    `WAL: ${s['wal.writtenPoints']} points, ${(s['wal.writtenBytes'] / s['wal.writtenPoints']).toFixed(1)} bytes/point, ` +
      `last flush ${s['wal.lastFlushMs'].toFixed(0)} ms`,
  );
  await wal.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const buf = Buffer.alloc(64 << 20, 7);
const t0 = performance.now();
crc32(buf);
console.log(`crc32: ${(((buf.length / (performance.now() - t0)) * 1000) / (1 << 20)) | 0} MiB/s`);
