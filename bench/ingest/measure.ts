import { Socket } from 'node:net';
import type { Load } from './load.js';
import { readCpuSeconds, readMinorFaults, readProcMemory, readTcpSockets } from './proc.js';
import type { RunningServer } from './system.js';
import { PersistChecker } from './whisper-check.js';

/** What one run of one system over N connections measured. Times are seconds from the first byte. */
export interface RunResult {
  system: string;
  connections: number;
  points: number;
  bytes: number;
  /** All bytes written by the client and read by the server off its sockets (see bench/README.md). */
  acceptedSeconds: number;
  acceptedPointsPerSecond: number;
  /**
   * Every point readable from the whisper files: the latest modification time of the load's files once
   * the checker has found every point in them (see bench/README.md); null when it did not find them
   * within the timeout.
   */
  persistedSeconds: number | null;
  /** When the checker found every point: persistedSeconds plus the checker's own polling and reading. */
  detectedSeconds: number | null;
  persistedPointsPerSecond: number | null;
  /** Points found on disk when the check ended (all of them unless it timed out). */
  persistedPoints: number;
  /** Points on disk whose value is not the one sent (must be 0). */
  wrongValues: number;
  /** VmHWM when the check ended, bytes: the server's peak resident set over its life so far. */
  peakRssBytes: number;
  /** User + system CPU the server used from the first byte to the end of the check, seconds. */
  cpuSeconds: number;
  /** Minor page faults of the server over the same span as cpuSeconds (first touches of new memory). */
  minorFaults: number;
  /** SIGTERM to exit, ms, and whether it had to be killed. */
  exitMs: number;
  killedOnStop: boolean;
}

/** Memory the cache pass measured: RSS with the load held in the cache minus RSS before sending. */
export interface CacheMemoryResult {
  system: string;
  /** Accepted points/s with the writer idle: the receive path alone (same definition as RunResult's). */
  acceptedPointsPerSecond: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** Points still in the cache (sent minus already on disk) when RSS was read. */
  cachedPoints: number;
  bytesPerCachedPoint: number | null;
  /** Why the figure is missing, when it is. */
  invalid?: string;
}

/** Bounds and pacing of one run. */
export interface RunOptions {
  persistTimeoutMs: number;
  /** How often /proc/net/tcp is read while waiting for the server to take the bytes, ms. */
  acceptPollMs: number;
  /** Wait between polls of the whisper files while waiting for persistence, ms. */
  persistPollMs: number;
  stopGraceMs: number;
}

/**
 * The pause after each part of the warm-up (load.ts splitWarmup), before the next or the timed run:
 * longer than Carbonado's write threads go without checking a held file again (one second).
 */
export const WARMUP_PAUSE_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens one connection per buffer to the server's line port. */
async function connectAll(port: number, count: number): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = new Socket();
          s.setNoDelay(true);
          s.once('error', reject);
          s.connect(port, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
}

/**
 * Writes each buffer to its socket and resolves, in seconds since `t0`, when the server has taken every
 * byte off every socket: the client's writes are handed to the kernel (write callback), nothing is
 * unacknowledged on the client side (tx_queue 0) and nothing is left unread on the server side
 * (rx_queue 0), as /proc/net/tcp shows them. Fails if a connection vanishes (the server closed it).
 */
async function sendAndAwaitTaken(
  sockets: Socket[],
  buffers: Buffer[],
  serverPort: number,
  pollMs: number,
  t0: number,
) {
  let written = 0;
  let writeError: Error | null = null;
  sockets.forEach((s, c) => {
    s.on('error', (e) => {
      writeError = e;
    });
    s.write(buffers[c], (e) => {
      if (e) writeError = e;
      else written++;
    });
  });
  const clientPorts = new Set(sockets.map((s) => s.localPort!));
  for (;;) {
    if (writeError) throw new Error(`sending failed: ${(writeError as Error).message}`);
    if (written === sockets.length) {
      let pending = 0;
      let seen = 0;
      for (const sock of readTcpSockets()) {
        if (sock.localPort === serverPort && clientPorts.has(sock.remotePort)) {
          seen++;
          pending += sock.rxQueue;
        } else if (sock.remotePort === serverPort && clientPorts.has(sock.localPort)) {
          pending += sock.txQueue;
        }
      }
      if (seen < sockets.length)
        throw new Error(`the server closed ${sockets.length - seen} of ${sockets.length} connections`);
      if (pending === 0) return (performance.now() - t0) / 1000;
    }
    await sleep(pollMs);
  }
}

/** One measured run: send the load over `load.buffers.length` connections, await acceptance and persistence. */
export async function measureRun(
  system: string,
  server: RunningServer,
  load: Load,
  opts: RunOptions,
  warmups: readonly Load[] = [],
): Promise<RunResult> {
  // Each part of the warm-up is awaited on disk, then a pause as between an agent's intervals.
  for (const warmup of warmups) {
    await sendAndAwaitPersisted(server, warmup, opts);
    await sleep(WARMUP_PAUSE_MS);
  }
  const sockets = await connectAll(server.linePort, load.buffers.length);
  const checker = new PersistChecker(server.whisperRoot, load.shape);
  checker.openExisting();
  const cpu0 = readCpuSeconds(server.pid);
  const faults0 = readMinorFaults(server.pid);
  const t0 = performance.now();
  // The files' modification times are wall-clock, so the first byte's time is taken on that clock too.
  const t0Wall = Date.now();
  const acceptedSeconds = await sendAndAwaitTaken(
    sockets,
    load.buffers,
    server.linePort,
    opts.acceptPollMs,
    t0,
  );
  // Persistence is checked only once every byte is taken: no point can be on disk before it arrives, and
  // reading files earlier would steal CPU from the acceptance being timed.
  let detectedSeconds: number | null = null;
  const deadline = t0 + opts.persistTimeoutMs;
  for (;;) {
    if (checker.poll()) {
      detectedSeconds = (performance.now() - t0) / 1000;
      break;
    }
    if (performance.now() > deadline) break;
    // A poll stops at the first file still incomplete (PersistChecker.poll), so over a run the checker
    // reads each file about once however often it polls.
    await sleep(opts.persistPollMs);
  }
  const cpuSeconds = readCpuSeconds(server.pid) - cpu0;
  const minorFaults = readMinorFaults(server.pid) - faults0;
  // Every point is on disk: the last write that put one there is the newest modification time among
  // the load's files (read now, after the timed span; nothing writes to them any more).
  const persistedSeconds =
    detectedSeconds === null
      ? null
      : persistedFromModified(checker.lastModifiedMs(), t0Wall, acceptedSeconds, detectedSeconds);
  // After a timeout, count what did reach the disk (a poll stops at the first incomplete file).
  if (persistedSeconds === null) checker.poll(true);
  checker.close();
  const { peakRss } = readProcMemory(server.pid);
  for (const s of sockets) s.end();
  const stopped = await server.stop(opts.stopGraceMs);
  const progress = checker.progress();
  return {
    system,
    connections: load.buffers.length,
    points: load.totalPoints,
    bytes: load.totalBytes,
    acceptedSeconds,
    acceptedPointsPerSecond: load.totalPoints / acceptedSeconds,
    persistedSeconds,
    detectedSeconds,
    persistedPointsPerSecond: persistedSeconds === null ? null : load.totalPoints / persistedSeconds,
    persistedPoints: progress.present,
    wrongValues: progress.wrong,
    peakRssBytes: peakRss,
    cpuSeconds,
    minorFaults,
    exitMs: stopped.exitMs,
    killedOnStop: stopped.killed,
  };
}

/** Sends an untimed load (the warm-up) and waits until it is on disk (the files exist afterwards). */
async function sendAndAwaitPersisted(server: RunningServer, load: Load, opts: RunOptions): Promise<void> {
  const sockets = await connectAll(server.linePort, load.buffers.length);
  const t0 = performance.now();
  await sendAndAwaitTaken(sockets, load.buffers, server.linePort, opts.acceptPollMs, t0);
  for (const s of sockets) s.end();
  const checker = new PersistChecker(server.whisperRoot, load.shape);
  try {
    while (!checker.poll()) {
      if (performance.now() - t0 > opts.persistTimeoutMs)
        throw new Error('the warm-up load never reached the disk');
      await sleep(opts.persistPollMs);
    }
  } finally {
    checker.close();
  }
}

/**
 * The cache pass: with writes deferred, RSS before sending and once every byte is taken; the difference
 * over the points still cached is the memory one cached point costs (cache structures plus whatever
 * else grew, so an upper bound). The server is killed afterwards: draining at one metric per second
 * would take hours.
 */
export async function measureCacheMemory(
  system: string,
  server: RunningServer,
  load: Load,
  opts: RunOptions,
): Promise<CacheMemoryResult> {
  const sockets = await connectAll(server.linePort, load.buffers.length);
  const rssBeforeBytes = readProcMemory(server.pid).rss;
  const t0 = performance.now();
  const acceptedSeconds = await sendAndAwaitTaken(
    sockets,
    load.buffers,
    server.linePort,
    opts.acceptPollMs,
    t0,
  );
  const rssAfterBytes = readProcMemory(server.pid).rss;
  const checker = new PersistChecker(server.whisperRoot, load.shape);
  checker.poll(true);
  checker.close();
  const onDisk = checker.progress().present;
  for (const s of sockets) s.destroy();
  await server.kill();
  const cachedPoints = load.totalPoints - onDisk;
  const result: CacheMemoryResult = {
    system,
    acceptedPointsPerSecond: load.totalPoints / acceptedSeconds,
    rssBeforeBytes,
    rssAfterBytes,
    cachedPoints,
    bytesPerCachedPoint: null,
  };
  // The figure means something only if most points really were held: a server ignoring the rate limit
  // would have written them, and the RSS difference would be buffers, not cache.
  if (cachedPoints < load.totalPoints * 0.9) {
    result.invalid = `writes were not deferred: ${onDisk} of ${load.totalPoints} points already on disk`;
  } else {
    result.bytesPerCachedPoint = (rssAfterBytes - rssBeforeBytes) / cachedPoints;
  }
  return result;
}

/**
 * Seconds from the first byte (`t0Wall`, ms since the epoch) to when every point was accepted and
 * readable: the last write that made a point of the load readable (`lastModifiedMs`, the newest mtime
 * of its files), or the acceptance if that came later (the server may write a point before the bench's
 * 2 ms poll of the sockets sees the last byte taken). Checked against what the checker saw: the last
 * write cannot come after the checker found every point (`detectedSeconds`), allowing for the wall
 * clock's millisecond, nor more than 10 ms before the first byte (a file time that old means the
 * timed run wrote none of them, and the figure would be wrong).
 */
export function persistedFromModified(
  lastModifiedMs: number,
  t0Wall: number,
  acceptedSeconds: number,
  detectedSeconds: number,
): number {
  const seconds = (lastModifiedMs - t0Wall) / 1000;
  if (seconds > detectedSeconds + 0.002)
    throw new Error(
      `the load's files were last modified ${seconds.toFixed(3)} s after the first byte, after the ` +
        `checker found every point (${detectedSeconds.toFixed(3)} s): something else writes to them`,
    );
  if (seconds < -0.01)
    throw new Error(
      `the load's files were last modified ${(-seconds).toFixed(3)} s before the first byte: ` +
        'the timed run wrote none of them',
    );
  return Math.max(seconds, acceptedSeconds);
}
