import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricCache } from '../cache/cache.js';
import { WriteAheadLog } from '../cache/wal.js';
import type { PointLimits } from '../ingest/datapoint.js';
import { PlaintextTcpReceiver } from '../ingest/plaintext/listener.js';
import type { WhisperStore } from '../storage/whisper/store.js';
import { taggingSink } from '../tags/sink.js';
import { TagDB } from '../tags/tagdb.js';

/** What `warmUp` runs through. */
export interface WarmupOptions {
  /** Plaintext points sent through the receive path; 0 skips it. */
  points: number;
  /** The plaintext receivers' limits and line length, so the warm-up parses as they will. */
  limits: PointLimits;
  maxLineLength: number;
  /** The store whose write threads write scratch files too. */
  store?: WhisperStore;
  /** Where the scratch directory goes; default the OS temp dir. */
  tmp?: string;
  /** Give up on the receive path after this many ms; default 30,000. */
  timeoutMs?: number;
}

/** What the warm-up did. */
export interface WarmupReport {
  /** Points the scratch receiver accepted. */
  points: number;
  /** Scratch writes per write thread. */
  writesPerThread: number;
  ms: number;
  /** Why a part failed, if one did: warmUp does not throw, and the server starts anyway. */
  failures: string[];
}

/** Distinct names in the warm-up: as many as a mid-sized agent fleet sends, so names are looked up as in service. */
const WARMUP_METRICS = 10_000;
/** Scratch files per write thread, and rounds of writes to each. */
const WRITE_FILES = 500;
const WRITE_ROUNDS = 40;

/**
 * Runs a synthetic load through the real code before the listeners open, on scratch objects only: plaintext
 * lines over a loopback connection into a scratch receiver, tag index, cache and write-ahead log, and
 * writes to scratch whisper files on each write thread. Nothing of it reaches the data directory, the
 * real WAL or the real cache; the scratch directory is removed at the end.
 *
 * Why: V8 compiles a function to fast code only after it has run a while. A server started cold took its
 * first load at 0.7-0.9M points/s on bench/ingest (one connection), while compiling; warm, the same
 * code takes 1.4M+. An agent fleet reconnecting after a restart sends its buffered points at once, which
 * is exactly when the speed is needed. The optimized code stays with the functions when the scratch
 * objects are gone; the real receiver and cache are instances of the same classes.
 */
export async function warmUp(opts: WarmupOptions): Promise<WarmupReport> {
  const started = performance.now();
  const report: WarmupReport = { points: 0, writesPerThread: 0, ms: 0, failures: [] };
  let dir: string;
  try {
    dir = mkdtempSync(join(opts.tmp ?? tmpdir(), 'carbonado-warmup-'));
  } catch (err) {
    report.failures.push(`scratch directory: ${(err as Error).message}`);
    return report;
  }
  try {
    // The write threads work while the main thread receives, as they do in service.
    const threads = (
      opts.store?.warmUpThreads(join(dir, 'whisper'), WRITE_FILES, WRITE_ROUNDS) ?? Promise.resolve([])
    ).catch((err: Error) => [err.message]);
    if (opts.points > 0) {
      try {
        report.points = await warmIngest(dir, opts);
      } catch (err) {
        report.failures.push(`receive path: ${(err as Error).message}`);
      }
    }
    const failed = await threads;
    for (const f of failed) report.failures.push(`write thread: ${f}`);
    if (opts.store?.writesOffThread && failed.length === 0)
      report.writesPerThread = WRITE_FILES * WRITE_ROUNDS;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report.ms = performance.now() - started;
  return report;
}

/** The receive path: sends `opts.points` lines to a scratch receiver and waits until its cache has them. */
async function warmIngest(dir: string, opts: WarmupOptions): Promise<number> {
  const wal = new WriteAheadLog({
    dir: join(dir, 'wal'),
    flushInterval: 60_000,
    fsync: false,
    limits: opts.limits,
  });
  const cache = new MetricCache({ log: wal });
  await wal.open(cache);
  const sink = taggingSink(cache, TagDB.open(join(dir, 'tags', 'journal')));
  const receiver = new PlaintextTcpReceiver({
    host: '127.0.0.1',
    port: 0,
    sink,
    limits: opts.limits,
    maxLineLength: opts.maxLineLength,
    name: 'warm-up',
  });
  await receiver.start();
  const socket = connect(receiver.address().port, '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const sent = sendLines(socket, opts.points);
    const deadline = performance.now() + (opts.timeoutMs ?? 30_000);
    while (cache.accepted < sent) {
      if (performance.now() > deadline)
        throw new Error(`${cache.accepted} of ${sent} points arrived in ${opts.timeoutMs ?? 30_000} ms`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return cache.accepted;
  } finally {
    socket.destroy();
    await receiver.stop();
    await wal.close();
  }
}

/**
 * Writes `points` lines as agents send them, interval after interval over WARMUP_METRICS names: integer and
 * fractional values, timestamps ten seconds apart. Returns how many it wrote.
 */
function sendLines(socket: Socket, points: number): number {
  const metrics = Math.min(WARMUP_METRICS, points);
  const intervals = Math.ceil(points / metrics);
  const first = Math.floor(Date.now() / 1000) - intervals * 10;
  let sent = 0;
  for (let t = 0; t < intervals && sent < points; t++) {
    const lines: string[] = [];
    for (let m = 0; m < metrics && sent < points; m++, sent++) {
      const value = m % 3 === 0 ? String(m + t) : ((m * 37 + t) / 100).toFixed(2);
      lines.push(`carbonado.warmup.host${m % 100}.metric${m} ${value} ${first + t * 10}\n`);
    }
    socket.write(lines.join(''));
  }
  return sent;
}
