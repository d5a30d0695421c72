/**
 * StatsD side by side: Carbonado's StatsdServer and Etsy's statsd 0.9.0, each in its own process on
 * loopback, fed UDP at a ladder of rates; for each rate, whether every metric line arrived (the sum of
 * statsd.metrics_received over the flushes), and the server's CPU and RSS. Reports the highest rate
 * with zero loss, one metric per datagram and many per datagram.
 *
 *     node --import tsx bench/statsd/run.ts [seconds per step, default 3] [etsy|carbonado, default both]
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { startEtsy } from '../../test/statsd-etsy.js';
import { readCpuSeconds, readProcMemory } from '../ingest/proc.js';

const STEP_SECONDS = Number(process.argv[2] ?? 3);
const ONLY = process.argv[3];

/** A running server: where to send, its pid, and the metric lines it has counted so far. */
interface Target {
  name: string;
  port: number;
  pid: number;
  received(): number;
  /** Resolves after `n` more flushes. */
  flushes(n: number): Promise<void>;
  stop(): Promise<void>;
}

async function carbonado(): Promise<Target> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('carbonado-child.ts', import.meta.url).pathname],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let total = 0;
  let flushCount = 0;
  const waiters: [number, () => void][] = [];
  const rl = createInterface({ input: proc.stdout! });
  const port = await new Promise<number>((resolve) => {
    rl.on('line', (line) => {
      const [word, n] = line.split(' ');
      if (word === 'ready') resolve(Number(n));
      if (word === 'received') {
        total += Number(n);
        flushCount++;
        for (const w of waiters.splice(0))
          if (flushCount >= w[0]) w[1]();
          else waiters.push(w);
      }
    });
  });
  return {
    name: 'carbonado',
    port,
    pid: proc.pid!,
    received: () => total,
    flushes: (n) => new Promise((r) => waiters.push([flushCount + n, r])),
    stop: async () => {
      proc.kill('SIGKILL');
    },
  };
}

async function etsy(): Promise<Target> {
  const e = await startEtsy({ flushInterval: 1000 });
  const count = () => {
    let total = 0;
    for (const f of e.flushes)
      for (const [n, v] of f) if (n === 'stats_counts.statsd.metrics_received') total += Number(v);
    return total;
  };
  return {
    name: 'etsy statsd',
    port: e.port,
    pid: e.proc.pid!,
    received: count,
    flushes: async (n) => void (await e.waitFlush(e.flushes.length + n - 1)),
    stop: e.stop,
  };
}

/** Datagrams of `perDatagram` lines over 1,000 counters, 100 timers and 50 gauges. */
function datagrams(perDatagram: number, count: number): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  for (let d = 0; d < count; d++) {
    const lines: string[] = [];
    for (let l = 0; l < perDatagram; l++, i++) {
      if (i % 8 === 0) lines.push(`bench.timer${i % 100}:${i % 997}|ms`);
      else if (i % 8 === 1) lines.push(`bench.gauge${i % 50}:${i % 113}|g`);
      else lines.push(`bench.counter${i % 1000}:1|c`);
    }
    out.push(Buffer.from(lines.join('\n')));
  }
  return out;
}

interface Step {
  rate: number;
  sent: number;
  received: number;
  achieved: number;
  cpu: number;
  rssMb: number;
}

/** Sends `rate` metric lines per second for STEP_SECONDS, then waits two flushes. */
async function step(t: Target, rate: number, perDatagram: number): Promise<Step> {
  const sock = createSocket('udp4');
  // A connected socket sends without an address lookup per datagram, so the sender, which shares the
  // two cores with the server, is less often the limit.
  await new Promise<void>((r) => sock.connect(t.port, '127.0.0.1', () => r()));
  const pool = datagrams(perDatagram, 1000);
  const before = t.received();
  const cpu0 = readCpuSeconds(t.pid);
  const start = performance.now();
  let sentDatagrams = 0;
  let inFlight = 0;
  // Paced by the clock, a few datagrams per turn of the event loop, so the load is smooth rather than
  // bursts that a default-sized socket buffer cannot hold.
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= STEP_SECONDS * 1000) break;
    const due = Math.floor((rate * elapsed) / 1000 / perDatagram);
    while (sentDatagrams < due) {
      inFlight++;
      sock.send(pool[sentDatagrams++ % pool.length], () => inFlight--);
    }
    await new Promise((r) => setImmediate(r));
  }
  while (inFlight > 0) await new Promise((r) => setImmediate(r));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = (readCpuSeconds(t.pid) - cpu0) / elapsed;
  const rssMb = readProcMemory(t.pid).rss / 2 ** 20;
  sock.close();
  await t.flushes(2);
  const sent = sentDatagrams * perDatagram;
  return { rate, sent, received: t.received() - before, achieved: sent / elapsed, cpu, rssMb };
}

const LADDERS: Record<number, number[]> = {
  1: [10_000, 15_000, 20_000, 30_000, 40_000, 50_000, 60_000, 80_000, 100_000, 130_000, 160_000, 200_000],
  50: [50_000, 100_000, 200_000, 400_000, 600_000, 800_000, 1_000_000, 1_300_000, 1_600_000, 2_000_000],
};

const results: string[] = [];
for (const make of [etsy, carbonado].filter((f) => ONLY === undefined || f.name === ONLY)) {
  const t = await make();
  await t.flushes(1);
  for (const perDatagram of [1, 50]) {
    let best: Step | null = null;
    for (const rate of LADDERS[perDatagram]) {
      const s = await step(t, rate, perDatagram);
      const lost = s.sent - s.received;
      console.log(
        `${t.name.padEnd(12)} ${String(perDatagram).padStart(2)}/dgram target ${rate.toLocaleString().padStart(9)}/s sent ${Math.round(s.achieved).toLocaleString().padStart(9)}/s lost ${lost} cpu ${(s.cpu * 100).toFixed(0)}% rss ${s.rssMb.toFixed(0)} MB`,
      );
      if (lost !== 0) break;
      best = s;
      if (s.achieved < rate * 0.9) break; // the sender is the limit now
    }
    results.push(
      best === null
        ? `${t.name}, ${perDatagram}/datagram: loss at the lowest rate`
        : `${t.name}, ${perDatagram}/datagram: ${Math.round(best.achieved).toLocaleString()} metrics/s with zero loss (cpu ${(best.cpu * 100).toFixed(0)}%, rss ${best.rssMb.toFixed(0)} MB)`,
    );
  }
  await t.stop();
}
console.log(`\n${results.join('\n')}`);
process.exit(0);
