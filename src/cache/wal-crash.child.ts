// Child process of wal-crash.test.ts: feeds a cache with a write-ahead log at a steady rate and reports
// its progress on stdout until it is killed. Point k is named crash.m<k % 50>, at timestamp k, value 2k.
// Every other tick comes as a batch carrying its plaintext lines, as a receiver's does, so that both the
// point records and the raw records of docs/wal.md go through the crash.
// Usage: node --import tsx wal-crash.child.ts <wal dir> <flushInterval ms>
import { PointBatch } from '../ingest/batch.js';
import { MetricCache } from './cache.js';
import { WriteAheadLog } from './wal.js';

const [dir, interval] = process.argv.slice(2);
const wal = new WriteAheadLog({ dir, flushInterval: Number(interval) });
const cache = new MetricCache({ log: wal });
await wal.open(cache);

const PER_TICK = 200;
let k = 0;
process.stdout.write(`ready ${Date.now()}\n`);
const batch = new PointBatch();
let tick = 0;
setInterval(() => {
  if (tick++ % 2 === 0) {
    for (let i = 0; i < PER_TICK; i++, k++) cache.add(`crash.m${k % 50}`, k, 2 * k);
  } else {
    let lines = '';
    for (let i = 0; i < PER_TICK; i++, k++) {
      batch.push(`crash.m${k % 50}`, k, 2 * k);
      lines += `crash.m${k % 50} ${2 * k} ${k}\n`;
    }
    batch.rawLines.push(Buffer.from(lines));
    cache.addBatch(batch);
    batch.clear();
  }
  // "<points accepted so far> <epoch ms>": every point below the count was accepted by then.
  process.stdout.write(`${k} ${Date.now()}\n`);
}, 5);
