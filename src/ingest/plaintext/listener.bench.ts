// Points per second through PlaintextTcpReceiver over one loopback connection, with a sink that
// only counts (so the figure is the receiver's cost, not the cache's). Run:
//   node --import tsx src/ingest/plaintext/listener.bench.ts [lines]
import { connect } from 'node:net';
import type { IngestSink } from '../sink.js';
import { PlaintextTcpReceiver } from './listener.js';

const total = Number(process.argv[2] ?? 2_000_000);
const now = 1_700_000_000;
const lines: string[] = [];
for (let i = 0; i < total; i++)
  lines.push(`bench.host${i % 100}.metric_${i % 10_000} ${i % 1000} ${now + (i % 600)}\n`);
const payload = Buffer.from(lines.join(''));
lines.length = 0;

let received = 0;
let done: () => void = () => {};
const finished = new Promise<void>((resolve) => {
  done = resolve;
});
const sink: IngestSink = {
  paused: false,
  onResume() {},
  add() {
    if (++received === total) done();
  },
};
const rx = new PlaintextTcpReceiver({ port: 0, sink });
await rx.start();
const socket = connect(rx.address().port, '127.0.0.1');
await new Promise((resolve) => socket.once('connect', resolve));
const t0 = process.hrtime.bigint();
socket.end(payload);
await finished;
const s = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(
  `${total} points over one TCP connection in ${s.toFixed(3)} s = ${(total / s / 1e6).toFixed(2)} M points/s ` +
    `(${(payload.length / s / 1e6).toFixed(0)} MB/s); errors ${rx.stats().errors}`,
);
await rx.stop();
