/**
 * Runs Etsy's statsd (the `statsd` dev dependency) on loopback with its graphite backend pointed at a
 * small TCP catcher, for the differential test and the benchmark. Etsy connects once per flush and
 * closes, so each connection is one flush.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One flush as a list of [name, value text, timestamp]. */
export type Flush = [name: string, value: string, ts: number][];

export interface EtsyStatsd {
  proc: ChildProcess;
  port: number;
  mgmtPort: number;
  flushes: Flush[];
  /** Resolves with the index of the first flush at or after `from` that satisfies `pred`. */
  waitFlush(from: number, pred?: (f: Flush) => boolean, ms?: number): Promise<number>;
  stop(): Promise<void>;
}

/** Resolves with a port that was free a moment ago for both UDP and TCP. */
export async function freePort(): Promise<number> {
  for (;;) {
    const tcp = createServer();
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    const port = (tcp.address() as { port: number }).port;
    const udp = createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      udp.once('error', () => r(false));
      udp.bind(port, '127.0.0.1', () => r(true));
    });
    await new Promise<void>((r) => tcp.close(() => r()));
    if (ok) {
      await new Promise<void>((r) => udp.close(() => r()));
      return port;
    }
  }
}

/** Starts Etsy's statsd with `config` (its own option names) and resolves after its first flush. */
export async function startEtsy(config: Record<string, unknown>): Promise<EtsyStatsd> {
  const flushes: Flush[] = [];
  let waiters: (() => void)[] = [];
  const catcher: Server = createServer((s) => {
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      text += d;
    });
    s.on('end', () => {
      const flush: Flush = [];
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const [name, value, ts] = line.split(' ');
        flush.push([name, value, Number(ts)]);
      }
      flushes.push(flush);
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    });
  });
  await new Promise<void>((r) => catcher.listen(0, '127.0.0.1', () => r()));
  const port = await freePort();
  const mgmtPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'carbonado-etsy-'));
  const file = join(dir, 'config.js');
  const full = {
    port,
    address: '127.0.0.1',
    mgmt_port: mgmtPort,
    mgmt_address: '127.0.0.1',
    graphiteHost: '127.0.0.1',
    graphitePort: (catcher.address() as { port: number }).port,
    automaticConfigReload: false,
    ...config,
  };
  writeFileSync(file, JSON.stringify(full));
  const root = new URL('../node_modules/statsd/', import.meta.url).pathname;
  const proc = spawn(process.execPath, [join(root, 'stats.js'), file], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));

  const waitFlush = (from: number, pred: (f: Flush) => boolean = () => true, ms = 15_000) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching Etsy flush within ${ms} ms\n${stderr}`)),
        ms,
      );
      const check = () => {
        for (let i = from; i < flushes.length; i++) {
          if (pred(flushes[i])) {
            clearTimeout(timer);
            resolve(i);
            return;
          }
        }
        waiters.push(check);
      };
      check();
    });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
    await new Promise<void>((r) => catcher.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFlush(0);
  } catch (err) {
    await stop();
    throw err;
  }
  return { proc, port, mgmtPort, flushes, waitFlush, stop };
}
