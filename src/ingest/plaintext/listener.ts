/**
 * The plaintext receivers: TCP (carbon's LINE_RECEIVER, port 2003) and UDP (UDP_RECEIVER). Each line
 * goes through parse.ts; a good one is handed to the sink, a bad one is counted by reason and logged
 * at a limited rate, and the connection carries on.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import type { AddressInfo, Socket } from 'node:net';
import type { Service } from '../../lifecycle.js';
import { createLogger, type Logger } from '../../log.js';
import { addBatch, PointBatch } from '../batch.js';
import { DEFAULT_POINT_LIMITS, type PointLimits } from '../datapoint.js';
import { NameInterner } from '../intern.js';
import type { IngestSink } from '../sink.js';
import { ReceiverStats } from '../stats.js';
import { TcpConnections } from '../tcp.js';
import { type LineHandler, LineSplitter } from './lines.js';
import { type LineOptions, type ParsedLine, parseCommonLines, parseLine } from './parse.js';

/** Options of both plaintext receivers. */
export interface PlaintextOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port to bind; 0 picks a free one (see `address()`). */
  port: number;
  /** Where accepted points go. */
  sink: IngestSink;
  /** Longest line in bytes; longer ones are dropped whole. Default 16384, twisted's MAX_LENGTH. */
  maxLineLength?: number;
  /** Timestamp and name limits; default DEFAULT_POINT_LIMITS. */
  limits?: Partial<PointLimits>;
  /** Name of the service for stats and logs; default "plaintext-tcp" / "plaintext-udp". */
  name?: string;
  /** Logger; default createLogger(name). */
  logger?: Logger;
  /** Clock in epoch milliseconds, for timestamp -1; default Date.now. */
  clock?: () => number;
}

/**
 * Turns lines into points and counters; one per TCP connection, one per UDP socket. Per read: `begin`
 * with the chunk, the splitter's lines, then `flush` hands the read's points to the sink together.
 *
 * The batch also carries the accepted lines' own bytes (`PointBatch.rawLines`), so the write-ahead log
 * copies them instead of encoding each point. Adjacent accepted lines of the chunk form one span (blank
 * lines between them included: they parse to nothing again); a refused or overlong line ends the span,
 * as its bytes may be anything (0xFE included, which the WAL's block magic relies on never meeting). A
 * line the splitter completed in its own buffer, which it reuses within the same push, is copied.
 */
export class LineIngest implements LineHandler {
  peer = '';
  private readonly parsed: ParsedLine = { ok: true, name: '', value: 0, timestamp: 0 };
  private readonly batch = new PointBatch();
  /** The chunk being pushed; lines in any other buffer come from the splitter's pending bytes. */
  private chunk: Buffer | undefined;
  /** The open span of `chunk`: from the first accepted line's start to the last one's end, or -1. */
  private spanStart = -1;
  private spanEnd = 0;
  /** Points whose lines are in `rawLines` (or the open span): all of the batch's, or the raw lines go. */
  private rawPoints = 0;

  /**
   * `options.now` is read at `begin`, for timestamp -1; the receiver sets it per read. `names` is shared
   * by all LineIngests under the same options.
   */
  constructor(
    private readonly sink: IngestSink,
    private readonly stats: ReceiverStats,
    private readonly log: Logger,
    private readonly options: LineOptions & { maxLineLength: number },
    private readonly names: NameInterner,
  ) {}

  /** Starts a read: `chunk` is what is about to be pushed through the splitter. */
  begin(chunk: Buffer): void {
    this.chunk = chunk;
    this.batch.rawNow = this.options.now;
    this.batch.useInterner(this.names);
  }

  line(buf: Buffer, start: number, end: number): void {
    const r = parseLine(buf, start, end, this.options, this.parsed, this.names);
    if (r === null) return;
    if (r.ok) {
      this.stats.metricsReceived++;
      this.batch.push(r.name, r.timestamp, r.value);
      this.accepted(buf, start, end, 1);
      return;
    }
    this.endSpan();
    this.stats.drop(r.reason);
    // Worded as carbon's "invalid line received from client %s, ignoring [%s]".
    this.log.limited(r.reason, `invalid line received from ${this.peer}, ignoring: ${r.error}`);
  }

  /** The common lines at `buf[start, end)`, all at once (parse.ts parseCommonLines); see LineHandler. */
  takeLines(buf: Buffer, start: number, end: number): number {
    const batch = this.batch;
    const before = batch.length;
    const stop = parseCommonLines(buf, start, end, this.options, this.names, batch);
    const n = batch.length - before;
    if (n > 0) {
      this.stats.metricsReceived += n;
      this.accepted(buf, start, stop - 1, n);
    }
    return stop;
  }

  /** Hands the points of the lines seen since `begin` to the sink. */
  flush(): void {
    this.endSpan();
    // A guard for the rawLines invariant, should a path ever add points without their lines: then the
    // WAL logs the points one by one, which is slower but never wrong.
    if (this.rawPoints !== this.batch.length) this.batch.rawLines.length = 0;
    this.rawPoints = 0;
    addBatch(this.sink, this.batch);
    this.batch.clear();
    this.chunk = undefined;
  }

  overlong(): void {
    this.endSpan();
    this.stats.drop('lineTooLong');
    this.log.limited(
      'lineTooLong',
      `line over ${this.options.maxLineLength} bytes received from ${this.peer}, ignoring it`,
    );
  }

  /**
   * Notes that the lines `buf[start, end)` gave `points` points (one line from `line`; a path taking
   * several lines at once calls it once for them, `end` before their last `\n`).
   */
  private accepted(buf: Buffer, start: number, end: number, points: number): void {
    this.rawPoints += points;
    if (buf === this.chunk) {
      if (this.spanStart < 0) this.spanStart = start;
      this.spanEnd = end;
    } else {
      this.endSpan();
      this.batch.rawLines.push(Buffer.from(buf.subarray(start, end)));
    }
  }

  private endSpan(): void {
    if (this.spanStart < 0) return;
    const chunk = this.chunk as Buffer;
    const end = this.spanEnd < chunk.length && chunk[this.spanEnd] === 0x0a ? this.spanEnd + 1 : this.spanEnd;
    this.batch.rawLines.push(chunk.subarray(this.spanStart, end));
    this.spanStart = -1;
  }
}

interface Common {
  host: string;
  port: number;
  maxLineLength: number;
  log: Logger;
  clock: () => number;
  lineOptions: LineOptions & { maxLineLength: number };
  /** Names accepted so far, shared by the receiver's connections (they share its limits). */
  names: NameInterner;
}

function common(options: PlaintextOptions, name: string): Common {
  const maxLineLength = options.maxLineLength ?? 16384;
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port,
    maxLineLength,
    log: options.logger ?? createLogger(name),
    clock: options.clock ?? Date.now,
    lineOptions: { ...DEFAULT_POINT_LIMITS, ...options.limits, now: 0, maxLineLength },
    names: new NameInterner(),
  };
}

/** Carbon's line receiver on TCP: `path value timestamp\n`, any number of lines per connection. */
export class PlaintextTcpReceiver implements Service {
  readonly name: string;
  private readonly stat = new ReceiverStats();
  private readonly c: Common;
  private readonly connections: TcpConnections;

  constructor(options: PlaintextOptions) {
    this.name = options.name ?? 'plaintext-tcp';
    this.c = common(options, this.name);
    this.connections = new TcpConnections(options.sink, this.stat, (s) => this.serve(s, options.sink));
  }

  async start(): Promise<void> {
    await this.connections.listen(this.c.host, this.c.port);
  }

  async stop(): Promise<void> {
    await this.connections.close();
  }

  stats(): Record<string, number> {
    return this.stat.toRecord();
  }

  /** The bound address (after start). */
  address(): AddressInfo {
    return this.connections.address();
  }

  private serve(socket: Socket, sink: IngestSink): void {
    const c = this.c;
    const splitter = new LineSplitter(c.maxLineLength);
    const ingest = new LineIngest(sink, this.stat, c.log, c.lineOptions, c.names);
    ingest.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.on('data', (chunk: Buffer) => {
      c.lineOptions.now = Math.floor(c.clock() / 1000);
      ingest.begin(chunk);
      splitter.push(chunk, ingest);
      ingest.flush();
      this.connections.checkFlow();
    });
    socket.on('error', (e) => c.log.limited('socket', `connection with ${ingest.peer} lost: ${e.message}`));
  }
}

/**
 * Carbon's UDP receiver: each datagram holds one or more lines; the last needs no newline. A UDP
 * socket cannot be paused, so while the sink is paused whole datagrams are dropped and counted
 * (carbon stops reading and lets the kernel drop them once its buffer is full).
 */
export class PlaintextUdpReceiver implements Service {
  readonly name: string;
  private readonly stat = new ReceiverStats();
  private readonly c: Common;
  private readonly sink: IngestSink;
  private socket: UdpSocket | null = null;

  constructor(options: PlaintextOptions) {
    this.name = options.name ?? 'plaintext-udp';
    this.c = common(options, this.name);
    this.sink = options.sink;
  }

  async start(): Promise<void> {
    if (this.socket !== null) return;
    const socket = createSocket(this.c.host.includes(':') ? 'udp6' : 'udp4');
    this.socket = socket;
    const splitter = new LineSplitter(this.c.maxLineLength);
    const ingest = new LineIngest(this.sink, this.stat, this.c.log, this.c.lineOptions, this.c.names);
    socket.on('message', (msg: Buffer, from: RemoteInfo) => this.datagram(msg, from, splitter, ingest));
    socket.on('error', (e) => this.c.log.limited('socket', `udp socket error: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.c.port, this.c.host, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((e) => {
      this.socket = null;
      socket.close();
      throw e;
    });
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    if (socket === null) return;
    this.socket = null;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  stats(): Record<string, number> {
    return this.stat.toRecord();
  }

  /** The bound address (after start). */
  address(): AddressInfo {
    if (this.socket === null) throw new Error('BUG: address() before start()');
    return this.socket.address();
  }

  private datagram(msg: Buffer, from: RemoteInfo, splitter: LineSplitter, ingest: LineIngest): void {
    if (this.sink.paused) {
      this.stat.drop('droppedWhilePaused');
      return;
    }
    ingest.peer = `${from.address}:${from.port}`;
    this.c.lineOptions.now = Math.floor(this.c.clock() / 1000);
    ingest.begin(msg);
    splitter.push(msg, ingest);
    splitter.end(ingest);
    ingest.flush();
  }
}
