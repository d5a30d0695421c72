// Child process of wal-crash.test.ts: feeds a cache with a write-ahead log at a steady rate and reports
// its progress on stdout until it is killed. Point k is named crash.m<k % 50>, at timestamp k, value 2k.
// Usage: node --import tsx wal-crash.child.ts <wal dir> <flushInterval ms>
import { MetricCache } from './cache.js';
import { WriteAheadLog } from './wal.js';

const [dir, interval] = process.argv.slice(2);
const wal = new WriteAheadLog({ dir, flushInterval: Number(interval) });
const cache = new MetricCache({ log: wal });
await wal.open(cache);

const PER_TICK = 200;
let k = 0;
process.stdout.write(`ready ${Date.now()}\n`);
setInterval(() => {
  for (let i = 0; i < PER_TICK; i++, k++) cache.add(`crash.m${k % 50}`, k, 2 * k);
  // "<points accepted so far> <epoch ms>": every point below the count was accepted by then.
  process.stdout.write(`${k} ${Date.now()}\n`);
}, 5);
