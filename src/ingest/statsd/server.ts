/**
 * StatsD inside Carbonado: UDP and TCP listeners on one port, the admin interface, and a flush every
 * flushInterval straight into the IngestSink (the cache), with Etsy's statsd names and values.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { Service } from '../../lifecycle.js';
import { createLogger, type Logger } from '../../log.js';
import type { IngestSink } from '../sink.js';
import { type AdminState, adminCommand } from './admin.js';
import { StatsdAggregator } from './aggregate.js';
import type { StatsdConfig } from './config.js';
import { StatsdFlusher } from './flush.js';
import { GraphiteBackend, plaintextLine } from './graphite-backend.js';

/** Options of StatsdServer. */
export interface StatsdServerOptions {
  /** Address of all three sockets; loopback by default. */
  host?: string;
  /** UDP and TCP metrics port (Etsy: 8125); 0 picks a free port, the same for both. */
  port: number;
  /** Admin interface port (Etsy: 8126); 0 picks a free port; null turns the interface off. */
  adminPort: number | null;
  sink: IngestSink;
  config: StatsdConfig;
  /** Reconnect delays of the remote carbon (config.graphiteHost), in ms; tests make them short. */
  graphiteRetryMs?: { min: number; max: number };
  /** Milliseconds since the epoch; the flush timestamps and timers follow it. */
  now?: () => number;
  logger?: Logger;
}

/** Bound ports after start(). */
export interface StatsdAddress {
  udp: number;
  tcp: number;
  admin: number | null;
}

/** A TCP line longer than this is dropped whole and counted as a bad line (UDP's own limit is 64 KB). */
export const MAX_TCP_LINE = 65_536;
/** Kernel receive buffer asked for the UDP socket, so bursts wait in the kernel rather than drop. */
const UDP_RECV_BUFFER = 16 << 20;

/** The StatsD service. */
export class StatsdServer implements Service {
  readonly name = 'statsd';
  private readonly host: string;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly agg: StatsdAggregator;
  private readonly flusher: StatsdFlusher;
  private readonly admin: AdminState;
  private lastMessageSeen: number;
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private adminServer: Server | null = null;
  /** The remote carbon that also gets each flush (Etsy's graphiteHost); null when none is set. */
  private graphite: GraphiteBackend | null = null;
  private readonly connections = new Set<Socket>();
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private stopping: Promise<void> | null = null;
  private counts = { flushes: 0, pointsFlushed: 0, flushErrors: 0, tcpLinesTooLong: 0 };

  constructor(private readonly options: StatsdServerOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? createLogger('statsd');
    this.agg = new StatsdAggregator(options.config);
    const startTime = Math.round(this.now() / 1000);
    this.lastMessageSeen = startTime;
    this.flusher = new StatsdFlusher(this.agg, startTime);
    const self = this;
    this.admin = {
      agg: this.agg,
      status: this.flusher.status,
      health: options.config.healthStatus,
      startTime,
      get lastMessageSeen() {
        return self.lastMessageSeen;
      },
      now: this.now,
    };
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.bindMetrics(this.options.port);
    if (this.options.adminPort !== null) {
      this.adminServer = createServer((s) => this.adminConnection(s));
      await listen(this.adminServer, this.options.adminPort, this.host);
    }
    const { graphiteHost, graphitePort } = this.options.config;
    if (graphiteHost !== '') {
      const retry = this.options.graphiteRetryMs;
      this.graphite = new GraphiteBackend({
        host: graphiteHost,
        port: graphitePort,
        retryMinMs: retry?.min,
        retryMaxMs: retry?.max,
        logger: this.log,
      });
      this.graphite.start();
    }
    this.schedule();
    const a = this.address();
    const remote = graphiteHost === '' ? '' : `; flushing to ${graphiteHost} port ${graphitePort} too`;
    this.log.info(`listening on ${this.host} udp ${a.udp} tcp ${a.tcp} admin ${a.admin ?? 'off'}${remote}`);
  }

  /** Stops listening, flushes what was received since the last flush (Etsy flushes on exit too). */
  stop(): Promise<void> {
    if (!this.started) return Promise.resolve();
    this.stopping ??= (async () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      for (const s of this.connections) s.destroy();
      await Promise.all([
        this.udp ? new Promise<void>((r) => this.udp?.close(() => r())) : null,
        this.tcp ? new Promise<void>((r) => this.tcp?.close(() => r())) : null,
        this.adminServer ? new Promise<void>((r) => this.adminServer?.close(() => r())) : null,
      ]);
      this.flushNow();
      await this.graphite?.stop();
    })();
    return this.stopping;
  }

  /** The bound ports; throws before start(). */
  address(): StatsdAddress {
    const udp = this.udp?.address().port;
    const tcp = this.tcp?.address();
    if (udp === undefined || tcp === null || typeof tcp !== 'object')
      throw new Error('BUG: address() before start()');
    const admin = this.adminServer?.address();
    return { udp, tcp: tcp.port, admin: admin && typeof admin === 'object' ? admin.port : null };
  }

  stats(): Record<string, number> {
    return {
      ...this.counts,
      badLines: this.agg.badLinesTotal,
      packetsReceivedSinceFlush: this.agg.internal.packets_received,
      metricsReceivedSinceFlush: this.agg.internal.metrics_received,
      counters: this.agg.counters.size,
      timers: this.agg.timers.size,
      gauges: this.agg.gauges.size,
      sets: this.agg.sets.size,
      ...(this.graphite ? prefixed('graphite', this.graphite.stats()) : {}),
    };
  }

  /**
   * Flushes now, at Etsy's timestamp Math.round(now / 1000); returns the number of points handed to
   * the sink. The timer calls it; tests call it to flush without waiting.
   */
  flushNow(): number {
    const ts = Math.round(this.now() / 1000);
    const sink = this.options.sink;
    const remote = this.graphite;
    let payload = '';
    // The remote gets its line before the sink is asked, so a failing cache does not starve it.
    const emit = remote
      ? (name: string, t: number, v: number) => {
          payload += plaintextLine(name, v, t);
          sink.add(name, t, v);
        }
      : (name: string, t: number, v: number) => sink.add(name, t, v);
    try {
      const n = this.flusher.flush(ts, emit, this.now);
      this.counts.flushes++;
      this.counts.pointsFlushed += n;
      return n;
    } catch (err) {
      this.counts.flushErrors++;
      this.log.limited('flush', `flush into the cache failed: ${(err as Error).message}`);
      return 0;
    } finally {
      remote?.send(payload);
    }
  }

  /** Receives one packet's text: the listeners' entry, and the benchmark's. */
  ingest(packet: string): void {
    this.agg.ingestPacket(packet);
    if (this.agg.lastError !== '') {
      this.log.limited('bad-line', `bad line: ${this.agg.lastError}`);
      this.agg.lastError = '';
    }
  }

  private onPacket(text: string): void {
    this.ingest(text);
    this.lastMessageSeen = Math.round(this.now() / 1000);
  }

  // Flushes land on multiples of flushInterval of the wall clock, so every Carbonado node (and every
  // restart) writes to the same whisper slots; Etsy aligns to its own start time instead.
  private schedule(): void {
    const interval = this.options.config.flushInterval;
    const now = this.now();
    const delay = interval - (now % interval);
    this.timer = setTimeout(() => {
      this.flushNow();
      if (this.timer !== null) this.schedule();
    }, delay);
    this.timer.unref?.();
  }

  /** UDP on `port` (0: a free one), then TCP on the same number; with port 0, retries a taken one. */
  private async bindMetrics(port: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket({
        type: this.host.includes(':') ? 'udp6' : 'udp4',
        recvBufferSize: UDP_RECV_BUFFER,
      });
      udp.on('message', (msg) => this.onPacket(msg.toString()));
      udp.on('error', (err) => this.log.limited('udp', `udp: ${err.message}`));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, this.host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      const tcp = createServer((s) => this.metricsConnection(s));
      try {
        await listen(tcp, udp.address().port, this.host);
      } catch (err) {
        await new Promise<void>((r) => udp.close(() => r()));
        if (port !== 0 || attempt >= 20) throw err;
        continue;
      }
      this.udp = udp;
      this.tcp = tcp;
      return;
    }
  }

  /** Newline-delimited lines; a trailing line without newline counts when the client closes. */
  private metricsConnection(s: Socket): void {
    this.connections.add(s);
    s.setEncoding('utf8');
    let pending = '';
    s.on('data', (chunk: string) => {
      const nl = chunk.lastIndexOf('\n');
      if (nl === -1) {
        pending += chunk;
        if (pending.length > MAX_TCP_LINE) this.tooLong(s);
        return;
      }
      const text = pending + chunk.slice(0, nl);
      pending = chunk.slice(nl + 1);
      this.onPacket(text);
    });
    s.on('end', () => {
      if (pending.length > 0) this.onPacket(pending);
      pending = '';
      s.end();
    });
    s.on('error', (err) => this.log.limited('tcp', `tcp: ${err.message}`));
    s.on('close', () => this.connections.delete(s));
  }

  private tooLong(s: Socket): void {
    // The line cannot be resynchronised without reading to its end; drop the client as carbon does.
    this.agg.internal.bad_lines_seen++;
    this.agg.badLinesTotal++;
    this.counts.tcpLinesTooLong++;
    this.log.limited('tcp-long', `tcp: line over ${MAX_TCP_LINE} bytes from ${s.remoteAddress}; closing`);
    s.destroy();
  }

  private adminConnection(s: Socket): void {
    this.connections.add(s);
    s.setEncoding('utf8');
    let pending = '';
    s.on('data', (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl !== -1 && !s.destroyed) {
        const r = adminCommand(pending.slice(0, nl), this.admin);
        pending = pending.slice(nl + 1);
        if (r.reply) s.write(r.reply);
        if (r.close) {
          s.end();
          return;
        }
        nl = pending.indexOf('\n');
      }
      if (pending.length > 4096) s.destroy();
    });
    s.on('error', (err) => this.log.limited('admin', `admin: ${err.message}`));
    s.on('close', () => this.connections.delete(s));
  }
}

function prefixed(prefix: string, stats: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(stats)) out[`${prefix}${k[0].toUpperCase()}${k.slice(1)}`] = v;
  return out;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
