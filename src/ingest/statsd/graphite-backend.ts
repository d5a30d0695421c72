/**
 * The optional flush to a remote carbon (Etsy's graphiteHost / graphitePort): each flush's points as
 * plaintext lines `name value timestamp\n` over TCP, beside the local store.
 *
 * Etsy's backends/graphite.js opens a new connection per flush and drops the flush when the connect
 * fails. Here one connection is kept and re-opened with a backoff when it fails or the remote closes
 * it; flushes made while it is down wait in memory up to `maxPending` bytes (the oldest are dropped
 * first and counted), so a carbon restart loses nothing. Sending never blocks the caller: send() only
 * queues, and the local flush into the cache has happened before it.
 */
import { connect, type Socket } from 'node:net';
import { createLogger, type Logger } from '../../log.js';

/** How long stop() waits for the remote to take the last lines and close, before it cuts the line. */
const STOP_TIMEOUT_MS = 5000;

/** Options of GraphiteBackend. */
export interface GraphiteBackendOptions {
  host: string;
  port: number;
  /** Bytes of unsent lines kept while the connection is down or slow (default 16 MiB). */
  maxPending?: number;
  /** First reconnect delay in ms, doubled after each failed attempt up to retryMaxMs (default 100). */
  retryMinMs?: number;
  /** Longest reconnect delay in ms (default 10,000). */
  retryMaxMs?: number;
  logger?: Logger;
}

/** What GraphiteBackend counts, for stats(). */
export interface GraphiteBackendStats {
  /** Flush payloads handed to the socket. */
  payloadsSent: number;
  /** Bytes handed to the socket. */
  bytesSent: number;
  /** Bytes waiting for a connection. */
  bytesPending: number;
  /** Bytes of whole payloads dropped because more than maxPending waited. */
  bytesDropped: number;
  /** Connections made, the first one included. */
  connects: number;
  /** Connections that failed or were closed by the remote. */
  connectionErrors: number;
}

/** A plaintext-protocol client of one carbon receiver that outlives its connections. */
export class GraphiteBackend {
  private readonly maxPending: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly log: Logger;
  private socket: Socket | null = null;
  private connected = false;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Payloads that wait for a connection, oldest first. */
  private pending: string[] = [];
  private readonly counts: GraphiteBackendStats = {
    payloadsSent: 0,
    bytesSent: 0,
    bytesPending: 0,
    bytesDropped: 0,
    connects: 0,
    connectionErrors: 0,
  };

  constructor(private readonly options: GraphiteBackendOptions) {
    this.maxPending = options.maxPending ?? 16 << 20;
    this.retryMinMs = options.retryMinMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 10_000;
    this.retryMs = this.retryMinMs;
    this.log = options.logger ?? createLogger('statsd');
  }

  /** Opens the connection in the background; a remote that is down only delays the lines. */
  start(): void {
    if (this.socket === null && !this.stopped) this.open();
  }

  /** Queues one flush's plaintext lines; they go out now if connected, else after the reconnect. */
  send(payload: string): void {
    if (this.stopped || payload.length === 0) return;
    const s = this.socket;
    // The socket's own buffer also counts: a remote that reads too slowly is a remote that is down.
    if (this.connected && s !== null && this.pending.length === 0 && s.writableLength <= this.maxPending) {
      this.write(s, payload);
      return;
    }
    this.pending.push(payload);
    this.counts.bytesPending += payload.length;
    while (this.counts.bytesPending > this.maxPending && this.pending.length > 0) {
      const old = this.pending.shift() as string;
      this.counts.bytesPending -= old.length;
      this.counts.bytesDropped += old.length;
      this.log.limited(
        'graphite-drop',
        `graphite ${this.where()}: over ${this.maxPending} bytes waiting; dropped a flush`,
      );
    }
  }

  /**
   * Sends what waits if connected, closes the connection and stops reconnecting; resolves once the
   * socket has closed (or at once when there is none). Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const s = this.socket;
    if (s === null || s.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      // A remote that never closes its side must not hold the shutdown up.
      const giveUp = setTimeout(() => s.destroy(), STOP_TIMEOUT_MS);
      giveUp.unref?.();
      s.once('close', () => {
        clearTimeout(giveUp);
        resolve();
      });
      if (this.connected) {
        this.drain(s);
        s.end();
      } else s.destroy();
    });
  }

  stats(): GraphiteBackendStats {
    return { ...this.counts };
  }

  private where(): string {
    const h = this.options.host;
    return `${h.includes(':') ? `[${h}]` : h}:${this.options.port}`;
  }

  private open(): void {
    const s = connect({ host: this.options.host, port: this.options.port });
    this.socket = s;
    s.setNoDelay(true);
    s.on('connect', () => {
      this.connected = true;
      this.retryMs = this.retryMinMs;
      this.counts.connects++;
      this.drain(s);
    });
    // A remote that reads slowly: what queued meanwhile goes once the socket's buffer has emptied.
    s.on('drain', () => this.drain(s));
    // Carbon never answers on the plaintext port; read and ignore, so a chatty peer cannot stall us.
    s.on('data', () => {});
    s.on('error', (err) => {
      this.log.limited('graphite', `graphite ${this.where()}: ${err.message}`);
    });
    s.on('close', () => {
      this.connected = false;
      if (this.socket === s) this.socket = null;
      if (this.stopped) return;
      this.counts.connectionErrors++;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.stopped) this.open();
      }, this.retryMs);
      this.retryTimer.unref?.();
      this.retryMs = Math.min(this.retryMs * 2, this.retryMaxMs);
    });
  }

  private drain(s: Socket): void {
    if (this.pending.length === 0) return;
    const all = this.pending.join('');
    this.pending = [];
    this.counts.bytesPending = 0;
    this.write(s, all);
  }

  private write(s: Socket, payload: string): void {
    s.write(payload);
    this.counts.payloadsSent++;
    this.counts.bytesSent += payload.length;
  }
}

/** One point as a plaintext line, the way Etsy's graphite backend prints it (`name value ts\n`). */
export function plaintextLine(name: string, value: number, timestamp: number): string {
  return `${name} ${value} ${timestamp}\n`;
}
