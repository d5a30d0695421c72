/**
 * Carbon's pickle receiver (PICKLE_RECEIVER, port 2004) on TCP: length-prefixed frames, each a pickled
 * list of `(path, (timestamp, value))`. A frame that does not decode is counted and skipped; the
 * connection goes on, as carbon's MetricPickleReceiver logs "invalid pickle received" and carries on.
 */
import type { AddressInfo, Socket } from 'node:net';
import type { Service } from '../../lifecycle.js';
import { createLogger, type Logger } from '../../log.js';
import { addBatch, PointBatch } from '../batch.js';
import { DEFAULT_POINT_LIMITS, type PointLimits } from '../datapoint.js';
import type { IngestSink } from '../sink.js';
import { ReceiverStats } from '../stats.js';
import { TcpConnections } from '../tcp.js';
import { decodePickleFrame, type PickleOptions } from './decode.js';
import { FrameSplitter } from './frames.js';
import { DEFAULT_UNPICKLE_LIMITS, type UnpickleLimits } from './unpickle.js';

/** Options of the pickle receiver. */
export interface PickleReceiverOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port to bind; 0 picks a free one (see `address()`). */
  port: number;
  /** Where accepted points go. */
  sink: IngestSink;
  /** Largest frame in bytes; default 2**20, carbon's PICKLE_RECEIVER_MAX_LENGTH. */
  maxFrameLength?: number;
  /** Timestamp and name limits; default DEFAULT_POINT_LIMITS. */
  limits?: Partial<PointLimits>;
  /** Unpickler bounds; default DEFAULT_UNPICKLE_LIMITS. */
  unpickle?: UnpickleLimits;
  /** Name of the service for stats and logs; default "pickle". */
  name?: string;
  /** Logger; default createLogger(name). */
  logger?: Logger;
  /** Clock in epoch milliseconds, for timestamp -1; default Date.now. */
  clock?: () => number;
}

/** The pickle receiver as a Service. */
export class PickleReceiver implements Service {
  readonly name: string;
  private readonly stat = new ReceiverStats();
  /** One frame's points on their way to the sink (frames are handled one at a time). */
  private readonly batch = new PointBatch();
  private readonly connections: TcpConnections;
  private readonly log: Logger;
  private readonly decodeOptions: PickleOptions;

  constructor(private readonly options: PickleReceiverOptions) {
    this.name = options.name ?? 'pickle';
    this.log = options.logger ?? createLogger(this.name);
    this.decodeOptions = {
      ...DEFAULT_POINT_LIMITS,
      ...options.limits,
      unpickle: options.unpickle ?? DEFAULT_UNPICKLE_LIMITS,
      now: 0,
    };
    this.connections = new TcpConnections(options.sink, this.stat, (s) => this.serve(s));
  }

  async start(): Promise<void> {
    await this.connections.listen(this.options.host ?? '127.0.0.1', this.options.port);
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

  private serve(socket: Socket): void {
    const frames = new FrameSplitter(this.options.maxFrameLength);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const clock = this.options.clock ?? Date.now;
    const onFrame = (frame: Buffer) => this.frame(frame, peer);
    socket.on('data', (chunk: Buffer) => {
      this.decodeOptions.now = Math.floor(clock() / 1000);
      const tooLong = frames.push(chunk, onFrame);
      this.connections.checkFlow();
      if (tooLong === null) return;
      // Only the length prefix says where the next frame starts; past an over-long frame the stream
      // cannot be resynchronised, so the connection goes, as in twisted's lengthLimitExceeded.
      this.stat.drop('frameTooLarge');
      this.log.limited(
        'frameTooLarge',
        `pickle frame of ${tooLong} bytes from ${peer} is over the limit of ${frames.maxFrameLength}; closing the connection`,
      );
      socket.destroy();
    });
    socket.on('error', (e) => this.log.limited('socket', `connection with ${peer} lost: ${e.message}`));
  }

  private frame(frame: Buffer, peer: string): void {
    const r = decodePickleFrame(frame, this.decodeOptions);
    if (!r.ok) {
      this.stat.drop('badPickle');
      this.log.limited('badPickle', `invalid pickle received from ${peer}, ignoring: ${r.error}`);
      return;
    }
    const batch = this.batch;
    for (const p of r.points) batch.push(p.name, p.timestamp, p.value);
    addBatch(this.options.sink, batch);
    batch.clear();
    this.stat.metricsReceived += r.points.length;
    for (const x of r.rejected) {
      this.stat.drop(x.reason);
      this.log.limited(x.reason, `bad item in pickle from ${peer}, ignoring: ${x.error}`);
    }
  }
}
