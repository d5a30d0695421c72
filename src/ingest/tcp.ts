import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { IngestSink } from './sink.js';
import type { ReceiverStats } from './stats.js';

/**
 * What the TCP receivers share: the listening server, the set of open connections, and flow
 * control. When the sink reports `paused` after a chunk, every connection stops reading
 * (socket.pause(), so the kernel's window pushes back on the senders) until the sink's onResume
 * fires — carbon's MetricReceiver.pauseReceiving / resumeReceiving on the pauseReceivingMetrics and
 * resumeReceivingMetrics events (carbon/protocols.py). Connections that open while paused start
 * paused, as carbon's connectionMade does.
 */
export class TcpConnections {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private paused = false;

  constructor(
    private readonly sink: IngestSink,
    private readonly stats: ReceiverStats,
    private readonly onConnection: (socket: Socket) => void,
  ) {
    sink.onResume(() => this.resume());
  }

  /** Starts listening; resolves once the port is bound (port 0 = any free port). */
  async listen(host: string, port: number): Promise<void> {
    if (this.server !== null) return;
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e) => {
      this.server = null;
      throw e;
    });
  }

  /** The bound address; throws before `listen` resolves. */
  address(): AddressInfo {
    const a = this.server?.address();
    if (a == null || typeof a === 'string') throw new Error('BUG: address() before start()');
    return a;
  }

  /** Call after handing a chunk's points to the sink. */
  checkFlow(): void {
    if (this.sink.paused && !this.paused) {
      this.paused = true;
      this.stats.paused = 1;
      for (const s of this.sockets) s.pause();
    }
  }

  /**
   * Stops accepting and closes every connection; safe twice. What was read has already been given
   * to the sink; bytes still in the kernel's buffers are dropped, as when carbon stops.
   */
  async close(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    if (this.server === null) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.stats.connectionsOpen++;
    this.stats.connectionsAccepted++;
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.stats.connectionsOpen--;
    });
    socket.setNoDelay(true);
    this.onConnection(socket);
    if (this.paused || this.sink.paused) {
      this.paused = true;
      this.stats.paused = 1;
      socket.pause();
    }
  }

  private resume(): void {
    if (!this.paused || this.sink.paused) return;
    this.paused = false;
    this.stats.paused = 0;
    for (const s of this.sockets) s.resume();
  }
}
